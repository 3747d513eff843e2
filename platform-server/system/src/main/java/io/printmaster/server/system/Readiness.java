package io.printmaster.server.system;

import java.util.ArrayList;
import java.util.List;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;

/**
 * Whether the platform itself is up: every bundle of the distribution active and every enabled PrintMaster component
 * satisfied. Plugins dropped into {@code plugins/} do not count: a broken vendor plugin shows in the plugin list,
 * it does not take the server out of a load balancer.
 */
final class Readiness {
    private final BundleContext context;
    /**
     * Where the distribution's bundles come from: the home's and the running program's bundle/ folders, and the version
     * slots of an installation (a self-update runs a slot, and a hot swap installs bundles of another slot); empty when
     * unknown (then every bundle counts).
     */
    private final List<java.nio.file.Path> distributionBundles = new ArrayList<>();

    Readiness(BundleContext context) {
        this.context = context;
        String home = context.getProperty("pm.home");
        String program = context.getProperty("pm.program.dir");
        if (home != null) {
            distributionBundles.add(java.nio.file.Path.of(home, "bundle"));
            distributionBundles.add(java.nio.file.Path.of(home, "versions"));
        }
        if (program != null && !program.isBlank()) {
            distributionBundles.add(java.nio.file.Path.of(program, "bundle"));
        }
    }

    /** False for a bundle that is gone (null): it is no longer part of anything. */
    private boolean fromDistribution(Bundle b) {
        return b != null && (distributionBundles.isEmpty()
                || distributionBundles.stream().anyMatch(dir -> BundleLocations.isInside(b.getLocation(), dir)));
    }

    /** What is not ready yet; empty when everything is. */
    List<String> problems(ServiceComponentRuntime scr) {
        List<String> problems = new ArrayList<>();
        for (Bundle b : context.getBundles()) {
            boolean platform = b.getBundleId() != 0 && fromDistribution(b);
            if (platform && b.getHeaders().get(Constants.FRAGMENT_HOST) == null && b.getState() != Bundle.ACTIVE) {
                problems.add("bundle " + b.getSymbolicName() + " is not active");
            }
        }
        if (scr == null) {
            problems.add("Declarative Services is not running");
            return problems;
        }
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (!d.bundle.symbolicName.startsWith("io.printmaster.") || !scr.isComponentEnabled(d)
                    || !fromDistribution(context.getBundle(d.bundle.id))) {
                continue;
            }
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                if (c.state == ComponentConfigurationDTO.UNSATISFIED_REFERENCE || c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                    problems.add("component " + d.name + (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION
                            ? " failed: " + failureMessage(c.failure) : " is waiting for a service"));
                }
            }
        }
        return problems;
    }

    /**
     * What a failed activation says, for people: the message of the innermost cause (a component's constructor
     * throwing reaches SCR wrapped in reflection exceptions, whose own first line names only a Java type).
     */
    static String failureMessage(String stackTrace) {
        if (stackTrace == null || stackTrace.isBlank()) {
            return "";
        }
        String line = stackTrace.lines().findFirst().orElse("");
        for (String l : (Iterable<String>) stackTrace.lines()::iterator) {
            String t = l.strip();
            if (t.startsWith("Caused by: ")) {
                line = t.substring("Caused by: ".length());
            }
        }
        // "java.lang.IllegalArgumentException: the message" -> "the message"
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^[\\w.$]+(Exception|Error)(: (.*))?$").matcher(line);
        if (m.matches()) {
            return m.group(3) != null ? m.group(3) : "see the server log";
        }
        return line;
    }
}
