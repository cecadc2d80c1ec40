package dev.processio.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small HTTP client for the demo's API and Actuator endpoints, over the real server port. */
final class DemoClient {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    DemoClient(int port) {
        this.base = "http://localhost:" + port;
    }

    record Reply(int status, String contentType, JsonNode body) {
    }

    Reply render(String markdown) {
        return post("/api/render", JSON.writeValueAsString(Map.of("markdown", markdown)));
    }

    CompletableFuture<Reply> renderAsync(String markdown) {
        return http.sendAsync(request("/api/render", JSON.writeValueAsString(Map.of("markdown", markdown))),
                HttpResponse.BodyHandlers.ofString()).thenApply(DemoClient::reply);
    }

    Reply post(String path, String json) {
        return send(request(path, json));
    }

    Reply get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET().build());
    }

    /** The default pool, the render pool, as {@code /actuator/processio} shows it. */
    JsonNode pool() {
        return pool("default");
    }

    /** A pool as {@code /actuator/processio} shows it. */
    JsonNode pool(String name) {
        return get("/actuator/processio").body().get("pools").get(name);
    }

    List<JsonNode> workers() {
        return pool().get("workers").valueStream().toList();
    }

    private HttpRequest request(String path, String json) {
        return HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json))
                .build();
    }

    private Reply send(HttpRequest request) {
        try {
            return reply(http.send(request, HttpResponse.BodyHandlers.ofString()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Reply reply(HttpResponse<String> response) {
        String body = response.body();
        JsonNode json;
        try {
            json = body == null || body.isEmpty() ? JSON.nullNode() : JSON.readTree(body);
        } catch (tools.jackson.core.JacksonException notJson) {
            json = JSON.getNodeFactory().textNode(body);
        }
        return new Reply(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), json);
    }
}
