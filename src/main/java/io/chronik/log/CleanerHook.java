package io.chronik.log;

/**
 * Called by the log cleaner after each durable step of replacing segments, so tests can stop it exactly there (a
 * simulated crash, or a real kill -9 of a broker process). Does nothing in production.
 */
@FunctionalInterface
interface CleanerHook {
    /** The steps of one group's replacement, in order (see {@link SegmentSwap}). */
    enum Step {
        /** The cleaned segment is written and fsynced under its {@code .cleaned} names; nothing else changed. */
        CLEANED_WRITTEN,
        /** The cleaned segment was renamed to {@code .swap}: from here a restart finishes the replacement. */
        SWAP_COMMITTED,
        /** On the lane: the replaced segments' files carry {@code .deleted}; the cleaned one is still {@code .swap}. */
        REPLACED_RENAMED,
        /** On the lane: the cleaned segment has its final names but is not yet served. */
        RENAMED,
        /** The log serves the cleaned segment; the replaced files wait for their delayed deletion. */
        SWAPPED_IN,
        /** The cleaner checkpoint records the end of the round. */
        CHECKPOINTED
    }

    CleanerHook NONE = (step, log) -> {
    };

    /**
     * Test hook for broker processes: with {@code -Dchronik.log.cleaner.test-pause-at=<STEP>} the cleaner prints
     * {@code chronik-test: log cleaner paused at <STEP>} and stops there for good, so a test can kill the process at
     * that exact point (at REPLACED_RENAMED and RENAMED that stops the partition's append lane too).
     */
    String PAUSE_PROPERTY = "chronik.log.cleaner.test-pause-at";

    void reached(Step step, Log log);

    static CleanerHook fromSystemProperty() {
        String at = System.getProperty(PAUSE_PROPERTY);
        if (at == null || at.isBlank()) {
            return NONE;
        }
        Step pauseAt = Step.valueOf(at.trim());
        return (step, log) -> {
            if (step == pauseAt) {
                System.out.println("chronik-test: log cleaner paused at " + step + " for " + log);
                System.out.flush();
                while (true) {
                    try {
                        Thread.sleep(Long.MAX_VALUE);
                    } catch (InterruptedException ignored) {
                        // stays paused until the process is killed
                    }
                }
            }
        };
    }
}
