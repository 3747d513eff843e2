package io.printmaster.agent.worker.impl;

import io.printmaster.agent.files.AtomicFiles;
import io.printmaster.core.retry.Backoff;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads the artifact a verified manifest names into {@code <target>.partial}, resuming with HTTP Range after an
 * interruption (also across agent restarts: the partial file is the state), and moves it to {@code target} only
 * when its size and SHA-256 are the manifest's. Defences, each from a known attack on updaters: never more bytes than
 * the manifest's size (endless data), an attempt that receives nothing for the stall timeout is abandoned, a
 * download slower than its {@link DownloadPace} (minimum average rate, and so a deadline derived from the size) is
 * given up with {@code DOWNLOAD_FAILED} (slow retrieval; the partial file stays for the next run), and
 * {@code If-Range} with the artifact's tag so a resumed download never splices two different files.
 * Transient failures (network, 5xx, stalls) retry with exponential backoff and jitter up to the attempt limit; a
 * 4xx does not (it will not get better by asking again).
 */
final class ResumableDownload {
    private static final Pattern CONTENT_RANGE_START = Pattern.compile("bytes (\\d+)-\\d+/(\\d+|\\*)");

    /** How far the download got; called from the downloading thread. */
    @FunctionalInterface
    interface Progress {
        void bytes(long received, long total);
    }

    /** Waits between attempts; tests pass one that does not wait. */
    @FunctionalInterface
    interface Pause {
        void pause(Duration delay) throws InterruptedException;
    }

    private final HttpClient http;
    private final Backoff backoff;
    private final Duration stallTimeout;
    private final Pause pause;
    private final DownloadPace pace;

    ResumableDownload(HttpClient http, Backoff backoff, Duration stallTimeout, Pause pause) {
        this(http, backoff, stallTimeout, pause, DownloadPace.DEFAULT);
    }

    ResumableDownload(HttpClient http, Backoff backoff, Duration stallTimeout, Pause pause, DownloadPace pace) {
        this.http = http;
        this.backoff = backoff;
        this.stallTimeout = stallTimeout;
        this.pause = pause;
        this.pace = pace;
    }

    /** The file a download in progress is kept in. */
    static Path partialOf(Path target) {
        return target.resolveSibling(target.getFileName() + ".partial");
    }

    /**
     * @param headers   request headers (the agent credential)
     * @param cancelled polled between chunks and attempts; true stops the download, keeping the partial file
     * @return {@code target}, holding exactly the verified bytes
     * @throws UpdateFailure {@code DOWNLOAD_FAILED} when the attempts are used up, the server refuses, or it sends more
     *                       than the manifest's size; {@code HASH_MISMATCH} when the complete bytes differ from the
     *                       manifest (the partial file is deleted: resuming it could never succeed)
     * @throws CancelledException when {@code cancelled} became true
     */
    Path download(URI uri, Map<String, String> headers, Path target, VerifiedManifest manifest, Progress progress,
                  BooleanSupplier cancelled) throws UpdateFailure, CancelledException, IOException {
        Path partial = partialOf(target);
        Files.createDirectories(target.toAbsolutePath().getParent());
        long already = Files.exists(partial) ? Files.size(partial) : 0;
        DownloadPace.Watch watch = pace.start(Math.max(1, manifest.sizeBytes() - Math.min(already, manifest.sizeBytes())));
        String lastProblem = "no attempt made";
        for (int attempt = 1; ; attempt++) {
            if (cancelled.getAsBoolean()) {
                throw new CancelledException();
            }
            String slow = watch.tooSlow();
            if (slow != null) {
                throw tooSlow(slow, lastProblem);
            }
            try {
                Optional<String> refusal = attempt(uri, headers, partial, manifest, progress, cancelled, watch);
                if (refusal.isPresent()) {
                    throw new UpdateFailure("DOWNLOAD_FAILED", refusal.get());
                }
                break;
            } catch (TransientProblem e) {
                lastProblem = e.getMessage();
            } catch (IOException e) {
                lastProblem = e.toString();
            }
            Optional<Duration> delay = backoff.delayAfter(attempt);
            if (delay.isEmpty()) {
                throw new UpdateFailure("DOWNLOAD_FAILED", "the download failed " + attempt + " times; last: "
                        + lastProblem);
            }
            try {
                long pausedFrom = System.nanoTime();
                pause.pause(delay.get());
                watch.paused(Duration.ofNanos(System.nanoTime() - pausedFrom));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CancelledException();
            }
        }
        try {
            ManifestVerifier.verifyBytes(partial, manifest);
        } catch (UpdateFailure e) {
            Files.deleteIfExists(partial);
            throw e;
        }
        AtomicFiles.move(partial, target);
        return target;
    }

    private static UpdateFailure tooSlow(String why, String lastProblem) {
        return new UpdateFailure("DOWNLOAD_FAILED", why + (lastProblem.equals("no attempt made") ? ""
                : "; last problem: " + lastProblem) + "; the partial file is kept and resumed by the next run");
    }

    /** One request. Empty when the partial file is complete; a refusal message for a permanent failure. */
    private Optional<String> attempt(URI uri, Map<String, String> headers, Path partial, VerifiedManifest manifest,
                                     Progress progress, BooleanSupplier cancelled, DownloadPace.Watch pace)
            throws IOException, TransientProblem, CancelledException, UpdateFailure {
        long have = Files.exists(partial) ? Files.size(partial) : 0;
        if (have > manifest.sizeBytes()) { // left by something else: it cannot be the start of this artifact
            Files.delete(partial);
            have = 0;
        }
        if (have == manifest.sizeBytes()) {
            return Optional.empty();
        }
        // the answer's headers must come within the whole download's deadline too
        Duration headersWithin = pace.remaining();
        if (headersWithin.compareTo(Duration.ofMinutes(30)) > 0) {
            headersWithin = Duration.ofMinutes(30);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(headersWithin.isZero() ? Duration.ofMillis(1)
                : headersWithin).GET();
        headers.forEach(request::header);
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-").header("If-Range", "\"" + manifest.sha256() + "\"");
        }
        HttpResponse<InputStream> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (java.net.http.HttpTimeoutException e) {
            String slow = pace.tooSlow();
            if (slow != null) {
                throw tooSlow(slow, "no answer from " + uri);
            }
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancelledException();
        }
        int status = response.statusCode();
        try (InputStream body = response.body()) {
            boolean append;
            if (status == 206 && have > 0 && startsAt(response, have)) {
                append = true;
            } else if (status == 200) {
                append = false; // the server sent the whole file: start over
                have = 0;
            } else if (status == 416) {
                Files.deleteIfExists(partial); // our partial file does not fit the server's file
                throw new TransientProblem("the server could not resume at byte " + have + "; starting over");
            } else if (status >= 500 || status == 429 || status == 206) {
                throw new TransientProblem("HTTP " + status + " from " + uri);
            } else {
                return Optional.of("the server refused the download: HTTP " + status + " from " + uri);
            }
            long limit = manifest.sizeBytes() - have;
            long written = copyWithLimits(body, partial, append, limit, have, manifest.sizeBytes(), progress, cancelled,
                    pace);
            if (written > limit) {
                Files.deleteIfExists(partial);
                return Optional.of("the server sent more than the manifest's " + manifest.sizeBytes() + " bytes");
            }
            if (have + written < manifest.sizeBytes()) {
                throw new TransientProblem("the connection ended after " + (have + written) + " of "
                        + manifest.sizeBytes() + " bytes");
            }
            return Optional.empty();
        }
    }

    /**
     * Copies at most {@code limit + 1} bytes (one more reveals an over-long answer), abandoning the attempt when no
     * byte arrives for the stall timeout. Returns the bytes read.
     */
    private long copyWithLimits(InputStream body, Path partial, boolean append, long limit, long before, long total,
                                Progress progress, BooleanSupplier cancelled, DownloadPace.Watch pace)
            throws IOException, TransientProblem, CancelledException, UpdateFailure {
        AtomicLong lastByteAt = new AtomicLong(System.nanoTime());
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "pm-download-stall-watch");
            t.setDaemon(true);
            return t;
        });
        boolean[] stalled = {false};
        java.util.concurrent.atomic.AtomicReference<String> slow = new java.util.concurrent.atomic.AtomicReference<>();
        Thread reader = Thread.currentThread();
        long checkMillis = Math.max(10, Math.min(1000, stallTimeout.toMillis() / 4));
        ScheduledFuture<?> watch = watchdog.scheduleAtFixedRate(() -> {
            if (stalled[0] || slow.get() != null) {
                return;
            }
            String tooSlow = pace.tooSlow();
            if (tooSlow != null) {
                slow.set(tooSlow);
            }
            if (tooSlow != null || System.nanoTime() - lastByteAt.get() > stallTimeout.toNanos()) {
                stalled[0] = tooSlow == null;
                try {
                    body.close();
                } catch (IOException ignored) {
                    // the interrupt below still ends the read
                }
                // the JDK client's body stream waits on a queue that closing alone does not wake
                reader.interrupt();
            }
        }, checkMillis, checkMillis, TimeUnit.MILLISECONDS);
        long read = 0;
        try (OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
            byte[] buffer = new byte[1 << 16];
            while (read <= limit) {
                if (cancelled.getAsBoolean()) {
                    throw new CancelledException();
                }
                int n;
                try {
                    n = body.read(buffer, 0, (int) Math.min(buffer.length, limit + 1 - read));
                } catch (IOException e) {
                    if (slow.get() != null) {
                        throw tooSlow(slow.get(), "no attempt made");
                    }
                    if (stalled[0]) {
                        throw new TransientProblem("no data for " + stallTimeout.toMillis() + " ms after "
                                + (before + read) + " bytes");
                    }
                    if (e instanceof InterruptedIOException) {
                        throw new TransientProblem(e.toString());
                    }
                    throw e;
                }
                if (n < 0) {
                    break;
                }
                lastByteAt.set(System.nanoTime());
                pace.received(n);
                long allowed = Math.min(n, limit - read);
                if (allowed > 0) {
                    out.write(buffer, 0, (int) allowed);
                }
                read += n;
                progress.bytes(before + Math.min(read, limit), total);
            }
            if (slow.get() != null) {
                throw tooSlow(slow.get(), "no attempt made");
            }
            if (stalled[0]) {
                throw new TransientProblem("no data for " + stallTimeout.toMillis() + " ms after " + (before + read)
                        + " bytes");
            }
            return read;
        } finally {
            watch.cancel(false);
            watchdog.shutdown();
            // wait for a watchdog run in progress: its interrupt must not land after the flag is cleared below
            boolean interrupted = false;
            while (true) {
                try {
                    if (watchdog.awaitTermination(5, TimeUnit.SECONDS)) {
                        break;
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            boolean pending = Thread.interrupted() || interrupted;
            if (pending && !stalled[0] && slow.get() == null) {
                Thread.currentThread().interrupt(); // not ours: a request to stop the worker
            }
        }
    }

    private static boolean startsAt(HttpResponse<?> response, long offset) {
        Matcher m = CONTENT_RANGE_START.matcher(response.headers().firstValue("Content-Range").orElse(""));
        return m.matches() && Long.parseLong(m.group(1)) == offset;
    }

    /** A failure that another attempt may not have. */
    private static final class TransientProblem extends Exception {
        private static final long serialVersionUID = 1L;

        TransientProblem(String message) {
            super(message);
        }
    }

    /** The run was cancelled; the partial file stays for a later resume. */
    static final class CancelledException extends Exception {
        private static final long serialVersionUID = 1L;

        CancelledException() {
            super("cancelled");
        }
    }
}
