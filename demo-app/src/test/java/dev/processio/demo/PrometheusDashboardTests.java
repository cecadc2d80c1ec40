package dev.processio.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.demo.DemoClient.Reply;
import dev.processio.testing.NoLeaks;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.ActiveProfiles;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Grafana dashboard in docs/grafana reads series that the demo publishes: after renders and a
 * crashed worker, every selector of every panel query (and of the pool variable) matches a series
 * of {@code /actuator/prometheus}, and that series has every label the query groups by.
 */
@ExtendWith(NoLeaks.AfterAllTests.class)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ActiveProfiles("chaos")
@DirtiesContext
class PrometheusDashboardTests {

    private static final Path DASHBOARD = Path.of("..", "docs", "grafana", "processio-dashboard.json");

    /** The series families the dashboard must show, by the README's metrics table. */
    private static final Set<String> SHOWN = Set.of("processio_calls_seconds_count", "processio_calls_seconds_bucket",
            "processio_calls_pending", "processio_calls_active", "processio_stdin_queue_depth_frames",
            "processio_stdin_drain_waits_total", "processio_stdin_epipe_total", "processio_worker_restarts_total",
            "resilience4j_circuitbreaker_state", "processio_workers");

    private static final Pattern SELECTOR = Pattern.compile("\\b((?:processio|resilience4j)_[a-z0-9_]+)\\s*(?:\\{([^}]*)})?");
    private static final Pattern MATCHER = Pattern.compile("([a-zA-Z_]\\w*)\\s*(=~|!~|!=|=)\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern GROUPING = Pattern.compile("\\b(?:by|without|on|ignoring)\\s*\\(([^)]*)\\)");
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)(?:\\s+\\S+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_]\\w*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    @LocalServerPort
    int port;

    @Test
    void everySeriesTheDashboardQueriesIsScrapedWithTheLabelsItUses() throws IOException {
        DemoClient client = new DemoClient(port);
        for (int i = 0; i < 20; i++) {
            assertThat(client.render("# call " + i).status()).isEqualTo(200);
        }
        double crashesBefore = value(scrape(client), "processio_worker_restarts_total", "default", "cause", "crash");
        Reply crash = client.post("/api/chaos/crash", "{}");
        assertThat(crash.status()).as(crash.body().toString()).isEqualTo(200);
        await("the crashed worker replaced").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .untilAsserted(() -> {
                    Map<String, List<Map<String, String>>> series = scrape(client);
                    assertThat(value(series, "processio_worker_restarts_total", "default", "cause", "crash"))
                            .isGreaterThan(crashesBefore);
                    assertThat(value(series, "processio_workers", "default", "state", "ready")).isGreaterThanOrEqualTo(2);
                });
        assertThat(client.render("# after the crash").status()).isEqualTo(200);

        Map<String, List<Map<String, String>>> scraped = scrape(client);
        assertThat(value(scraped, "processio_calls_seconds_count", "default", "outcome", "success"))
                .isGreaterThanOrEqualTo(21);
        Set<String> queried = new TreeSet<>();
        for (String query : queries()) {
            String expr = concrete(query);
            Set<String> grouped = new LinkedHashSet<>();
            Matcher g = GROUPING.matcher(expr);
            while (g.find()) {
                for (String label : g.group(1).split(",")) {
                    if (!label.isBlank()) {
                        grouped.add(label.strip());
                    }
                }
            }
            Matcher s = SELECTOR.matcher(expr);
            boolean any = false;
            while (s.find()) {
                any = true;
                String metric = s.group(1);
                queried.add(metric);
                List<String[]> matchers = matchers(s.group(2));
                assertThat(scraped).as("series %s of %s", metric, query).containsKey(metric);
                assertThat(scraped.get(metric)).as("a series %s{%s} with labels %s, for %s", metric, s.group(2),
                        grouped, query).anySatisfy(labels -> {
                            assertThat(labels.keySet()).containsAll(grouped);
                            for (String[] m : matchers) {
                                assertThat(matches(labels.get(m[0]), m[1], m[2])).as("%s%s\"%s\"", m[0], m[1], m[2])
                                        .isTrue();
                            }
                        });
            }
            assertThat(any).as("a processio or resilience4j series in " + query).isTrue();
        }
        assertThat(queried).containsAll(SHOWN);
    }

    /** Every query of the dashboard: each panel target's expression, and the pool variable's. */
    private static List<String> queries() throws IOException {
        JsonNode dashboard = JsonMapper.builder().build().readTree(Files.readString(DASHBOARD));
        assertThat(dashboard.get("schemaVersion").asInt()).isGreaterThanOrEqualTo(39);
        List<String> queries = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            assertThat(panel.at("/datasource/uid").asString()).as(panel.get("title").asString())
                    .isEqualTo("${DS_PROMETHEUS}");
            assertThat(panel.get("targets")).as(panel.get("title").asString()).isNotEmpty();
            panel.get("targets").forEach(t -> queries.add(t.get("expr").asString()));
        }
        JsonNode pool = dashboard.at("/templating/list").valueStream()
                .filter(v -> v.get("name").asString().equals("pool")).findFirst().orElseThrow();
        Matcher variable = Pattern.compile("label_values\\((\\w+),\\s*(\\w+)\\)").matcher(pool.at("/query/query").asString());
        assertThat(variable.matches()).as(pool.at("/query/query").asString()).isTrue();
        queries.add(variable.group(1) + "{" + variable.group(2) + "!=\"\"}");
        return queries;
    }

    /** The query as Grafana sends it with the pool "default" chosen; ranges dropped, as they select no series. */
    private static String concrete(String query) {
        return query.replace("${pool:pipe}", "default").replace("$pool", "default")
                .replaceAll("\\[(\\$__\\w+|\\d+[smhdwy])]", "");
    }

    private static List<String[]> matchers(String selector) {
        List<String[]> matchers = new ArrayList<>();
        if (selector != null) {
            Matcher m = MATCHER.matcher(selector);
            while (m.find()) {
                matchers.add(new String[] {m.group(1), m.group(2), m.group(3)});
            }
        }
        return matchers;
    }

    /** PromQL's matching: a missing label is the empty string, and regular expressions match whole values. */
    private static boolean matches(String value, String operator, String operand) {
        String actual = value == null ? "" : value;
        return switch (operator) {
            case "=" -> actual.equals(operand);
            case "!=" -> !actual.equals(operand);
            case "=~" -> actual.matches(operand);
            case "!~" -> !actual.matches(operand);
            default -> throw new IllegalArgumentException(operator);
        };
    }

    /** The scrape: each series name with the label sets of its samples (the value under "__value__"). */
    private static Map<String, List<Map<String, String>>> scrape(DemoClient client) {
        Map<String, List<Map<String, String>>> series = new LinkedHashMap<>();
        for (String line : client.text("/actuator/prometheus").split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher sample = SAMPLE.matcher(line);
            assertThat(sample.matches()).as("a sample line: " + line).isTrue();
            Map<String, String> labels = new LinkedHashMap<>();
            if (sample.group(2) != null) {
                Matcher label = LABEL.matcher(sample.group(2));
                while (label.find()) {
                    labels.put(label.group(1), label.group(2));
                }
            }
            labels.put("__value__", sample.group(3));
            series.computeIfAbsent(sample.group(1), k -> new ArrayList<>()).add(labels);
        }
        return series;
    }

    /** The value of one series of the pool, 0 when there is none. */
    private static double value(Map<String, List<Map<String, String>>> series, String name, String pool,
            String label, String value) {
        return series.getOrDefault(name, List.of()).stream()
                .filter(l -> pool.equals(l.get("pool")) && value.equals(l.get(label)))
                .mapToDouble(l -> Double.parseDouble(l.get("__value__"))).sum();
    }
}
