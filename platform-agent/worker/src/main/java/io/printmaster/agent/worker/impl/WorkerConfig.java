package io.printmaster.agent.worker.impl;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The update worker's settings (PID {@value UpdateWorkerComponent#PID}, {@code etc/io.printmaster.agent.worker.cfg}). */
@ObjectClassDefinition(name = "PrintMaster agent update worker", description = "How the agent downloads, "
        + "installs and checks updates.")
public @interface WorkerConfig {
    @AttributeDefinition(name = "Download attempts", min = "1", description = "Attempts per download before "
            + "DOWNLOAD_FAILED; each resumes where the last stopped.")
    int download__max__attempts() default 6;

    @AttributeDefinition(name = "Stall timeout (seconds)", min = "5", description = "A download that receives "
            + "nothing for this long is retried.")
    int download__stall__seconds() default 60;

    @AttributeDefinition(name = "Minimum download rate (bytes/s)", min = "1", description = "A download must "
            + "average at least this after the grace period, so its deadline is grace + size / rate; a slower one "
            + "ends with DOWNLOAD_FAILED (slow retrieval) and resumes at the next run.")
    long download__min__rate__bytes__per__second() default 4096;

    @AttributeDefinition(name = "Download rate grace (seconds)", min = "0", description = "How long a download "
            + "may take before the minimum rate counts.")
    int download__rate__grace__seconds() default 30;

    @AttributeDefinition(name = "Health check timeout (seconds)", min = "5", description = "How long a new "
            + "version has to get all bundles active and reach the server before it is rolled back.")
    int health__timeout__seconds() default 90;

    @AttributeDefinition(name = "Hot swap", description = "Install a release that keeps the runtime (launcher, "
            + "framework, JVM options) by swapping its changed bundles inside the running agent, without a restart. "
            + "Off: every release is installed in full, with a restart.")
    boolean hot__swap() default true;

    @AttributeDefinition(name = "Rollout re-check (seconds)", min = "1", description = "While the agent downloads "
            + "or stages a release a rollout offered, it asks the server this often whether the release is still "
            + "offered, and cancels (ROLLOUT_ABORTED) when the rollout was aborted.")
    int rollout__recheck__seconds() default 60;

    @AttributeDefinition(name = "Service name", description = "The agent's service name, when it is not the "
            + "default of its service system (printmaster-agent, io.printmaster.agent, PrintMasterAgent).")
    String service__name() default "";
}
