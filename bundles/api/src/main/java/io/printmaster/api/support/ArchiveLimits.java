package io.printmaster.api.support;

/**
 * How much an official artifact may inflate to: the zip-bomb guard. A compression ratio is only judged once at least
 * {@link #RATIO_FLOOR_BYTES} have been inflated (for an entry, or for the whole archive): a small text file of
 * repeated lines legitimately compresses past 100:1 and can do no harm.
 *
 * <p>Shared by the archive formats, so every format guards the same way.
 *
 * @param maxUncompressedBytes the most bytes the whole archive may inflate to
 * @param maxRatio             the highest ratio of inflated to compressed bytes, per entry and overall
 * @since 1.0
 */
public record ArchiveLimits(long maxUncompressedBytes, long maxRatio) {
    /** Default total: 2 GiB. */
    public static final long DEFAULT_MAX_UNCOMPRESSED_BYTES = 2L << 30;
    /** Default ratio: 100:1. */
    public static final long DEFAULT_MAX_RATIO = 100;
    /** Ratios are judged past this many inflated bytes. */
    public static final long RATIO_FLOOR_BYTES = 1L << 20;

    public static final ArchiveLimits DEFAULT = new ArchiveLimits(DEFAULT_MAX_UNCOMPRESSED_BYTES, DEFAULT_MAX_RATIO);

    public ArchiveLimits {
        if (maxUncompressedBytes <= 0 || maxRatio <= 0) {
            throw new IllegalArgumentException("limits must be positive: maxUncompressedBytes=" + maxUncompressedBytes
                    + ", maxCompressionRatio=" + maxRatio);
        }
    }

    /** True when {@code inflated} bytes from {@code compressed} ones is past the ratio. */
    public boolean ratioExceeded(long inflated, long compressed) {
        return inflated > RATIO_FLOOR_BYTES && inflated > maxRatio * Math.max(compressed, 1);
    }
}
