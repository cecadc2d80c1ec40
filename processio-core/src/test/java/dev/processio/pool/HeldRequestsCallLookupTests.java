package dev.processio.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.io.CallLookup;
import org.junit.jupiter.api.Test;

/** HeldRequests as the lookup of a worker's tagged stderr lines: held calls, then the last ones that ended. */
class HeldRequestsCallLookupTests {

    private final HeldRequests held = new HeldRequests((written, cause) -> null);

    @Test
    void aHeldCallIsFoundWithItsMethod() {
        held.hold(call(3, "text.upper"));
        assertThat(held.find(3)).isEqualTo(new CallLookup.Call(3, "text.upper", null));
        assertThat(held.find(4)).isNull();
    }

    @Test
    void anEndedCallIsFoundUntilAsManyMoreHaveEndedAsAreRemembered() {
        held.find(0); // the worker's first tagged line: from now on ended calls are remembered
        held.hold(call(5, "render"));
        held.remove(5);
        assertThat(held.find(5)).isEqualTo(new CallLookup.Call(5, "render", null));
        for (long id = 6; id < 5 + HeldRequests.RECENTLY_ENDED; id++) {
            held.hold(call(id, "other"));
            held.remove(id);
        }
        assertThat(held.find(5)).as("its place is not taken yet").isNotNull();
        long next = 5 + HeldRequests.RECENTLY_ENDED;
        held.hold(call(next, "other"));
        held.remove(next);
        assertThat(held.find(5)).as("its place is taken").isNull();
        assertThat(held.find(next)).isEqualTo(new CallLookup.Call(next, "other", null));
    }

    @Test
    void endedCallsAreNotRememberedBeforeTheFirstTaggedLine() {
        held.hold(call(1, "quiet"));
        held.remove(1);
        assertThat(held.find(1)).isNull();
    }

    private static PoolCall call(long id, String method) {
        return new PoolCall(null, id, method, new byte[0], null, false, 1_000_000_000L, 0);
    }
}
