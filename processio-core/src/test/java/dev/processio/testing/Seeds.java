package dev.processio.testing;

import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * Seeds of the property and fuzzing tests. Each run draws a new base seed, unless
 * {@code -Dprocessio.fuzz.seed=N} fixes it; case {@code i} of a test gets the seed
 * {@code base + i}, and its failure messages say which. To run a failing case again, pass its
 * seed as {@code processio.fuzz.seed}: it is then the seed of the first case. (A fuzzing worker's
 * mutations also depend on the ids its requests get, so its tests replay exactly when their
 * calls are made in the same order.)
 */
public final class Seeds {

    /** The system property that fixes the base seed. */
    public static final String PROPERTY = "processio.fuzz.seed";

    private static final long BASE = base();

    private Seeds() {
    }

    /** The seeds of {@code count} cases. */
    public static Stream<Long> cases(int count) {
        return LongStream.range(0, count).mapToObj(i -> BASE + i);
    }

    /** The seed of a test that has a single case. */
    public static long one() {
        return BASE;
    }

    private static long base() {
        String fixed = System.getProperty(PROPERTY);
        if (fixed != null && !fixed.isBlank()) {
            return Long.parseLong(fixed.strip());
        }
        // Small enough to type; System.nanoTime() alone would often repeat its low digits.
        return Math.floorMod(System.nanoTime() ^ System.currentTimeMillis() * 31, 1_000_000_000L);
    }
}
