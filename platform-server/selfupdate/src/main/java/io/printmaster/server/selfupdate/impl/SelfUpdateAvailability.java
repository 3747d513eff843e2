package io.printmaster.server.selfupdate.impl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Whether this server may replace its own program, and if not why, in words an admin can act on. It may not when
 * it runs in a container (the image is the unit of update there: replacing files inside a container is lost at its
 * next start), when an admin declared so ({@code PM_DISABLE_SELFUPDATE=1}), or when it does not run from an install
 * root that has {@code bin/pm-server} (a development run: there is no slot layout to stage into).
 *
 * <p>The file system root and the environment are given, so tests decide what the host looks like.
 *
 * @param enabled whether self-update may run
 * @param code    null when enabled; else {@code SELF_UPDATE_DISABLED}, {@code CONTAINER} or {@code NOT_INSTALLED}
 * @param reason  null when enabled; else the reason and what to do instead
 */
record SelfUpdateAvailability(boolean enabled, String code, String reason) {
    static final String ENV_DISABLE = "PM_DISABLE_SELFUPDATE";
    /** Markers of a container runtime in the cgroup of PID 1. */
    private static final String[] CGROUP_MARKERS = {"docker", "kubepods", "containerd", "libpod"};

    static final SelfUpdateAvailability ENABLED = new SelfUpdateAvailability(true, null, null);

    /**
     * @param fsRoot      the file system root ({@code /} in production)
     * @param env         the process environment
     * @param installRoot the server's install root (the launcher's {@code --home}), or null when unknown
     */
    static SelfUpdateAvailability detect(Path fsRoot, Map<String, String> env, Path installRoot) {
        String disable = env.get(ENV_DISABLE);
        if (disable != null && isTrue(disable)) {
            return new SelfUpdateAvailability(false, "SELF_UPDATE_DISABLED", "Self-update is turned off by "
                    + ENV_DISABLE + "=" + disable.strip() + " in the server's environment. Update the server the "
                    + "way it was deployed: for a container image, pull the new image and recreate the container "
                    + "(docker compose pull && docker compose up -d, or kubectl set image …); otherwise install the "
                    + "new server archive over this one.");
        }
        String k8s = env.get("KUBERNETES_SERVICE_HOST");
        if (k8s != null && !k8s.isBlank()) {
            return new SelfUpdateAvailability(false, "CONTAINER", "This server runs in Kubernetes, where the image "
                    + "is the unit of update: a server that replaced its own files would lose them when the pod is "
                    + "recreated. Update the image instead: kubectl set image deployment/<name> <container>="
                    + "<image>:<new version> (or change the tag in your manifests or Helm values).");
        }
        String docker = dockerEvidence(fsRoot);
        if (docker != null) {
            return new SelfUpdateAvailability(false, "CONTAINER", "This server runs in a container (" + docker
                    + "), where the image is the unit of update: files a server replaced inside it are lost when "
                    + "the container is recreated. Update the image instead: docker compose pull && docker compose "
                    + "up -d (or docker pull <image>:<new version> and recreate the container).");
        }
        if (installRoot == null || !Files.isRegularFile(installRoot.resolve("bin").resolve("pm-server"))) {
            return new SelfUpdateAvailability(false, "NOT_INSTALLED", "This server does not run from an "
                    + "installation made from a server release archive (no bin/pm-server in "
                    + (installRoot == null ? "its home" : installRoot.toString()) + "), for example a development "
                    + "run: install it from its archive and start it with bin/pm-server to let it update itself.");
        }
        return ENABLED;
    }

    private static boolean isTrue(String value) {
        String v = value.strip().toLowerCase(Locale.ROOT);
        return v.equals("1") || v.equals("true") || v.equals("yes") || v.equals("on");
    }

    /** What shows this process runs in a container, or null. */
    private static String dockerEvidence(Path fsRoot) {
        if (Files.exists(fsRoot.resolve(".dockerenv"))) {
            return "/.dockerenv exists";
        }
        Path cgroup = fsRoot.resolve("proc").resolve("1").resolve("cgroup");
        try {
            if (Files.isRegularFile(cgroup)) {
                String text = Files.readString(cgroup, StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
                for (String marker : CGROUP_MARKERS) {
                    if (text.contains(marker)) {
                        return "/proc/1/cgroup names " + marker;
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // unreadable: no evidence either way
        }
        return null;
    }

    /** As the API shows it. */
    Map<String, Object> json() {
        java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("self_update_enabled", enabled);
        m.put("disabled_code", code);
        m.put("disabled_reason", reason);
        return m;
    }
}
