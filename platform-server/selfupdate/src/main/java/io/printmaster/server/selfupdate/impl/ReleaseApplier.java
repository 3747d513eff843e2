package io.printmaster.server.selfupdate.impl;

/** Chooses and runs the apply step (a DS component of this bundle implements it; the orchestrator calls it after staging). */
public interface ReleaseApplier {
    /** hot-swap when only bundle/ differs (same lib/, same runtime, no new migration); else restart. */
    String modeFor(StagedRelease release) throws SelfUpdateFailure;

    /**
     * Hot swap: returns when swapped and healthy (run ends succeeded) or throws (rolled back: the orchestrator
     * records rolled_back with the code). Restart: takes the backup, writes the hand-over, then asks for exit 75;
     * returns normally and the orchestrator leaves the run in {@code applying} (the next start finishes it).
     */
    void apply(StagedRelease release, String mode, RunProgress progress) throws SelfUpdateFailure;
}
