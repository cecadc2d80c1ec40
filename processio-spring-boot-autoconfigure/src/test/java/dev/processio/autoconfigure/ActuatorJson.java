package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.StreamSupport;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.client.RestTestClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Reads Actuator responses of a running test application as JSON trees. */
final class ActuatorJson {

    private final RestTestClient http;
    private final JsonMapper mapper = JsonMapper.builder().build();

    ActuatorJson(RestTestClient http) {
        this.http = http;
    }

    /** GETs a path that must answer 200, and parses the body. */
    JsonNode get(String path) {
        String body = http.get().uri(path).exchange()
                .expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
        return mapper.readTree(body);
    }

    /** The processio endpoint's view of one pool. */
    JsonNode pool(String name) {
        return get("/actuator/processio/" + name);
    }

    /** The pid of the single READY worker of a pool. */
    long readyPid(String pool) {
        JsonNode ready = StreamSupport.stream(pool(pool).path("workers").spliterator(), false)
                .filter(w -> w.path("state").asString().equals("READY"))
                .reduce((a, b) -> {
                    throw new AssertionError("more than one READY worker: " + a + ", " + b);
                })
                .orElseThrow(() -> new AssertionError("no READY worker in pool " + pool));
        assertThat(ready.path("pid").isNumber()).as("pid of %s", ready).isTrue();
        return ready.path("pid").asLong();
    }

    /** The count of a pool's timer {@code processio.calls} with one outcome, from the metrics endpoint. */
    double callCount(String pool, String outcome) {
        JsonNode metric = get("/actuator/metrics/processio.calls?tag=pool:" + pool + "&tag=outcome:" + outcome);
        return StreamSupport.stream(metric.path("measurements").spliterator(), false)
                .filter(m -> m.path("statistic").asString().equals("COUNT"))
                .mapToDouble(m -> m.path("value").asDouble())
                .findFirst().orElseThrow(() -> new AssertionError("no COUNT in " + metric));
    }

    /** POSTs a JSON body to a path and returns the exchange for its checks. */
    RestTestClient.ResponseSpec post(String path, String json) {
        return http.post().uri(path).contentType(MediaType.APPLICATION_JSON).body(json).exchange();
    }
}
