package io.printmaster.agent.worker.impl;

/** Getting a release onto disk: the signed manifest's verifier, the resumable download and the archive stager. */
record ReleaseTools(ManifestVerifier verifier, ResumableDownload download, ArchiveStager stager) {
}
