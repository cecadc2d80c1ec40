package dev.processio.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.testing.NoLeaks;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * A handler's {@code console.log} lands in the application log with the trace id of the HTTP
 * request that caused it: the request's traceparent becomes the call's parent span, the call's
 * traceparent travels to the worker, and the worker's tagged stderr line is logged with it.
 */
@ExtendWith({NoLeaks.AfterAllTests.class, OutputCaptureExtension.class})
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class TracedLogsTests {

    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

    @LocalServerPort
    int port;

    @Test
    void aHandlersConsoleLogCarriesTheTraceIdOfTheHttpRequest(CapturedOutput output) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/api/jobs/slow?steps=1&ms=10"))
                .header("Accept", "text/event-stream")
                .header("traceparent", "00-" + TRACE_ID + "-00f067aa0ba902b7-01")
                .timeout(Duration.ofSeconds(30)).GET().build();
        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("event:done");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(output.getOut().lines()
                .filter(line -> line.contains("slowJob: 1 steps of 10 ms")))
                .anySatisfy(line -> assertThat(line).contains(TRACE_ID)));
    }
}
