package dev.processio.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The log budget's token bucket, on a clock the test moves. */
class LogBudgetTests {

    private final AtomicLong now = new AtomicLong(1_000);
    private final AtomicInteger droppedCount = new AtomicInteger();
    private final LogBudget budget = new LogBudget(10, now::get, droppedCount::addAndGet);

    @Test
    void aBurstOfTheRatePassesThenLinesAreDroppedAndCounted() {
        for (int i = 0; i < 10; i++) {
            assertThat(budget.take()).as("line %d", i).isZero();
        }
        for (int i = 0; i < 5; i++) {
            assertThat(budget.take()).isEqualTo(-1);
        }
        assertThat(droppedCount).hasValue(5);
        // A tenth of a second earns one line, which reports the five before it.
        now.addAndGet(100_000_000L);
        assertThat(budget.take()).isEqualTo(5);
        assertThat(budget.take()).isEqualTo(-1);
        assertThat(budget.takeUnreported()).isEqualTo(1);
        assertThat(budget.takeUnreported()).isZero();
    }

    @Test
    void aLongQuietSpellRefillsNoMoreThanOneBurst() {
        for (int i = 0; i < 10; i++) {
            budget.take();
        }
        now.addAndGet(3_600_000_000_000L);
        for (int i = 0; i < 10; i++) {
            assertThat(budget.take()).isZero();
        }
        assertThat(budget.take()).isEqualTo(-1);
    }

    @Test
    void theRateHoldsOverTime() {
        int logged = 0;
        // 10,000 lines over 10 s of clock, one every millisecond: 10 per second plus the first burst pass.
        for (int i = 0; i < 10_000; i++) {
            if (budget.take() >= 0) {
                logged++;
            }
            now.addAndGet(1_000_000L);
        }
        assertThat(logged).isBetween(100, 111);
        assertThat(droppedCount.get() + logged).isEqualTo(10_000);
    }

    @Test
    void anUnlimitedBudgetNeverDrops() {
        LogBudget unlimited = LogBudget.unlimited();
        for (int i = 0; i < 100_000; i++) {
            assertThat(unlimited.take()).isZero();
        }
    }
}
