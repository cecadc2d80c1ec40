package dev.processio.demo;

import dev.processio.BridgeTimeoutException;
import dev.processio.CallOptions;
import dev.processio.NodeBridge;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Profile;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /api/chaos/{action}}, only under the {@code chaos} profile: makes one worker (whichever
 * the pool picks for the call) misbehave, through methods of the worker module itself.
 *
 * <ul>
 *   <li>{@code crash}: the process exits.</li>
 *   <li>{@code close-stdin}: it closes its stdin; the host's next write gets EPIPE.</li>
 *   <li>{@code stall?seconds=N}: it stops reading stdin for N seconds, and a few large renders
 *       follow so that the host's stdin queue backs up and writes wait for the pipe to drain.
 *       Longer than {@code processio.io.write-timeout}, it is a stall fault.</li>
 *   <li>{@code hang}: a synchronous endless loop, called with a short timeout; timeouts and
 *       missed heartbeats then quarantine it.</li>
 *   <li>{@code garbage}: it prints a corrupt JSON-RPC line on stdout, a protocol fault.</li>
 * </ul>
 */
@Profile("chaos")
@RestController
class ChaosController {

    private static final Logger log = LoggerFactory.getLogger(ChaosController.class);

    private final NodeBridge bridge;
    private final DemoProperties.Chaos settings;
    private final String largeDocument;

    ChaosController(NodeBridge bridge, DemoProperties properties) {
        this.bridge = bridge;
        this.settings = properties.chaos();
        this.largeDocument = largeDocument(settings.stallRenderChars());
    }

    @PostMapping("/api/chaos/{action}")
    ChaosResult chaos(@PathVariable String action, @RequestParam(defaultValue = "3") int seconds) {
        return switch (action) {
            case "crash" -> hit(action, "chaos.crash", Map.of(), "the worker exits");
            case "close-stdin" -> hit(action, "chaos.closeStdin", Map.of(), "the worker closed its stdin");
            case "garbage" -> hit(action, "chaos.garbage", Map.of(), "the worker printed a corrupt frame");
            case "stall" -> stall(seconds);
            case "hang" -> hang();
            default -> throw new InputRejectedException(HttpStatus.NOT_FOUND, "Unknown chaos action",
                    "'" + action + "' is not one of crash, close-stdin, stall, hang, garbage");
        };
    }

    private ChaosResult hit(String action, String method, Map<String, Object> params, String detail) {
        Hit hit = bridge.call(method, params, Hit.class);
        log.info("chaos {}: worker {}", action, hit.worker());
        return new ChaosResult(action, hit.worker(), detail);
    }

    private ChaosResult stall(int seconds) {
        ChaosResult result = hit("stall", "chaos.stall", Map.of("seconds", seconds),
                "the worker stopped reading stdin for " + seconds + " s; " + settings.stallRenders()
                        + " renders of " + settings.stallRenderChars() + " characters follow");
        // The renders that land on the stalled worker wait for it to read again; they may take that long.
        CallOptions patient = CallOptions.timeout(Duration.ofSeconds(seconds).plus(settings.hangTimeout()).plusSeconds(5));
        for (int i = 0; i < settings.stallRenders(); i++) {
            bridge.callAsync("render", Map.of("markdown", largeDocument), Map.class, patient).whenComplete((ok, failure) -> {
                if (failure != null) {
                    log.info("chaos stall: a render failed: {}", failure.getMessage());
                }
            });
        }
        return result;
    }

    private ChaosResult hang() {
        try {
            bridge.call("chaos.hang", Map.of(), Hit.class, CallOptions.timeout(settings.hangTimeout()));
            return new ChaosResult("hang", null, "the worker answered, which it should not have");
        } catch (BridgeTimeoutException expected) {
            log.info("chaos hang: {}", expected.getMessage());
            return new ChaosResult("hang", null, "the call timed out after " + settings.hangTimeout().toMillis()
                    + " ms as expected; the worker spins until heartbeats quarantine it");
        }
    }

    private static String largeDocument(int chars) {
        StringBuilder doc = new StringBuilder(chars + 200);
        for (int n = 1; doc.length() < chars; n++) {
            doc.append("## Section ").append(n).append("\n\nSome *emphasis*, some **strong** text and `code`, then")
                    .append(" plain words: alpha, beta, gamma, delta, epsilon, zeta, eta, theta.\n\n");
        }
        return doc.toString();
    }

    record Hit(long worker) {
    }

    /**
     * @param worker pid of the worker that was hit, when it could say
     */
    record ChaosResult(String action, Long worker, String detail) {
    }
}
