package dev.processio.testing;

import dev.processio.CallOptions;
import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A JVM that starts a bridge and exits without closing it, while its worker ignores SIGTERM and
 * end of input. Only the shutdown hook's close, which ends in SIGKILL, can end that worker. Prints
 * the worker's pid first.
 */
public final class AbandonedBridge {

    private AbandonedBridge() {
    }

    public static void main(String[] args) throws Exception {
        NodeBridge bridge = NodeBridge.start(NodeBridgeOptions.builder().name("abandoned")
                .nodeExecutable(TestWorkers.node()).module(Path.of(args[0]))
                .gracePeriod(Duration.ofMillis(200)).killTimeout(Duration.ofMillis(300)).build());
        bridge.call("ignoreSigterm", null, String.class);
        bridge.callAsync("hang", null, String.class, CallOptions.timeout(Duration.ofMinutes(5)));
        System.out.println(bridge.snapshot().workers().get(0).pid());
        System.out.flush();
        // Let the hang request reach the worker before the JVM goes.
        while (bridge.snapshot().workers().get(0).inFlight() == 0) {
            Thread.onSpinWait();
        }
        System.exit(0);
    }
}
