package dev.processio.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.demo.DemoClient.Event;
import dev.processio.demo.DemoClient.EventStream;
import dev.processio.demo.DemoClient.Reply;
import dev.processio.testing.NoLeaks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;

/**
 * The slow job's event stream over real Node workers: progress in order and a final event, and a
 * cancel, from the cancel endpoint or from a client that goes away, that stops the handler and
 * leaves its worker in the pool. The tests share one context, so counters are compared with their
 * value before the test.
 */
@ExtendWith(NoLeaks.AfterAllTests.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SlowJobTests {

    /** Far longer than a cancelled handler needs to answer, far shorter than the job it was. */
    private static final Duration STOPPED = Duration.ofSeconds(4);

    @LocalServerPort
    int port;

    DemoClient client;

    @BeforeEach
    void client() {
        client = new DemoClient(port);
        await().atMost(Duration.ofSeconds(20)).until(() -> client.workers().stream()
                .allMatch(w -> w.get("state").asString().equals("READY") && w.get("inFlight").asInt() == 0));
    }

    @Test
    void progressArrivesInOrderThenDone() {
        List<Long> pids = client.pids();
        try (EventStream stream = client.events("/api/jobs/slow?steps=5&ms=20")) {
            assertThat(stream.status()).isEqualTo(200);
            assertThat(stream.contentType()).startsWith("text/event-stream");

            Event started = stream.next();
            assertThat(started.name()).isEqualTo("started");
            assertThat(started.data().get("id").asString()).isNotBlank();
            assertThat(started.data().get("steps").asInt()).isEqualTo(5);

            List<Event> progress = new ArrayList<>();
            Event event;
            while ((event = stream.next()).name().equals("progress")) {
                progress.add(event);
            }
            assertThat(progress).extracting(e -> e.data().get("step").asInt()).containsExactly(1, 2, 3, 4, 5);
            assertThat(progress).allSatisfy(e -> assertThat(e.data().get("of").asInt()).isEqualTo(5));
            long worker = progress.get(0).data().get("worker").asLong();
            assertThat(pids).contains(worker);

            assertThat(event.name()).isEqualTo("done");
            assertThat(event.data().get("steps").asInt()).isEqualTo(5);
            assertThat(event.data().get("worker").asLong()).isEqualTo(worker);
            assertThat(stream.next()).as("the stream ends after the last event").isNull();
        }
    }

    @Test
    void cancelStopsTheHandlerAndKeepsTheWorker() {
        List<Long> pids = client.pids();
        long cancelledBefore = client.cancelledCalls();
        long lateBefore = client.pool().get("lateReplies").asLong();

        // 100 steps of 100 ms: ten seconds of work, more than the pool's 5 s cancel grace.
        try (EventStream stream = client.events("/api/jobs/slow?steps=100&ms=100")) {
            String id = stream.next().data().get("id").asString();
            Event first = stream.next();
            assertThat(first.name()).isEqualTo("progress");
            long worker = first.data().get("worker").asLong();

            Reply cancel = client.post("/api/jobs/" + id + "/cancel", "{}");
            assertThat(cancel.status()).isEqualTo(202);

            Event event;
            while ((event = stream.next()).name().equals("progress")) {
                assertThat(event.data().get("step").asInt()).isLessThan(100);
            }
            assertThat(event.name()).isEqualTo("cancelled");
            assertThat(event.data().get("step").asInt()).isBetween(1, 99);
            assertThat(event.data().get("of").asInt()).isEqualTo(100);
            assertThat(stream.next()).isNull();

            // The handler saw its AbortSignal: its answer (an AbortError) comes at once and is dropped
            // as late, and the call gives its place back, long before the job would have ended.
            await().atMost(STOPPED).untilAsserted(() -> {
                assertThat(client.pool().get("lateReplies").asLong()).isEqualTo(lateBefore + 1);
                assertThat(client.workers()).allSatisfy(w -> assertThat(w.get("inFlight").asInt()).isZero());
            });
            assertThat(ProcessHandle.of(worker).map(ProcessHandle::isAlive)).contains(true);
        }
        assertThat(client.pids()).isEqualTo(pids);
        await().atMost(STOPPED).until(() -> client.cancelledCalls() == cancelledBefore + 1);
        assertThat(client.post("/api/jobs/nonexistent/cancel", "{}").status()).isEqualTo(404);
    }

    @Test
    void aClientThatGoesAwayCancelsItsJob() {
        List<Long> pids = client.pids();
        long cancelledBefore = client.cancelledCalls();
        String id;
        try (EventStream stream = client.events("/api/jobs/slow?steps=100&ms=100")) {
            id = stream.next().data().get("id").asString();
            assertThat(stream.next().name()).isEqualTo("progress");
        }
        // The server notices at its next write, a tenth of a second later.
        await().atMost(STOPPED).until(() -> client.cancelledCalls() == cancelledBefore + 1);
        await().atMost(STOPPED).until(() -> client.post("/api/jobs/" + id + "/cancel", "{}").status() == 404);
        await().atMost(STOPPED).untilAsserted(() ->
                assertThat(client.workers()).allSatisfy(w -> assertThat(w.get("inFlight").asInt()).isZero()));
        assertThat(client.pids()).isEqualTo(pids);
    }

    @Test
    void parametersOutOfRangeAre400() {
        for (String query : new String[] {"steps=0", "steps=201", "ms=-1", "ms=2001"}) {
            Reply reply = client.get("/api/jobs/slow?" + query);
            assertThat(reply.status()).as(query).isEqualTo(400);
            assertThat(reply.contentType()).as(query).startsWith("application/problem+json");
        }
    }
}
