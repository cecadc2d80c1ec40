package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.processio.Backpressure;
import dev.processio.BridgeException;
import dev.processio.BridgeStartupException;
import dev.processio.Dialect;
import dev.processio.InitMessage;
import dev.processio.NodeBridge;
import dev.processio.NodeBridgeOptions;
import dev.processio.PoolSnapshot;
import dev.processio.ServerRequestHandler;
import dev.processio.WorkerSnapshot;
import dev.processio.WorkerState;
import dev.processio.autoconfigure.ProcessioAutoConfiguration.ProcessioLifecycle;
import dev.processio.autoconfigure.endpoint.ProcessioEndpoint;
import dev.processio.autoconfigure.endpoint.ProcessioEndpointAutoConfiguration;
import dev.processio.autoconfigure.health.ProcessioHealthAutoConfiguration;
import dev.processio.autoconfigure.health.ProcessioHealthIndicator;
import dev.processio.autoconfigure.metrics.ProcessioMetricsAutoConfiguration;
import dev.processio.testing.NoLeaks;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.apache.catalina.Lifecycle;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.NoUniqueBeanDefinitionException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.core.NestedExceptionUtils;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.util.unit.DataSize;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** {@link ProcessioAutoConfiguration} and its optional integrations, against real Node workers. */
@ExtendWith(NoLeaks.class)
class ProcessioAutoConfigurationTests {

    private static final String MODULE = "processio.node.module=classpath:js/handlers.mjs";

    /** The environment of the last context the runner made, which Spring Boot gives failure analyzers. */
    private final AtomicReference<Environment> environment = new AtomicReference<>();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProcessioAutoConfiguration.class,
                    ProcessioMetricsAutoConfiguration.class, ProcessioHealthAutoConfiguration.class,
                    ProcessioEndpointAutoConfiguration.class))
            .withInitializer(context -> environment.set(context.getEnvironment()));

    @TempDir
    Path temp;

    // ---- the default pool ------------------------------------------------------------------------

    @Test
    void defaultPoolStartsWithTheContextAndServesCalls() {
        runner.withPropertyValues(MODULE).run(context -> {
            assertThat(context).hasNotFailed()
                    .hasSingleBean(NodeBridge.class)
                    .hasSingleBean(ProcessioBridgeFactory.class)
                    .hasSingleBean(ProcessioProperties.class)
                    .hasSingleBean(ProcessioLifecycle.class)
                    .hasBean("nodeBridge");
            NodeBridge bridge = context.getBean(NodeBridge.class);
            assertThat(bridge.name()).isEqualTo("default");
            PoolSnapshot snapshot = bridge.snapshot();
            assertThat(snapshot.readyWorkers()).isEqualTo(1);
            assertThat(snapshot.workers()).singleElement().satisfies(w -> {
                assertThat(w.state()).isEqualTo(WorkerState.READY);
                assertThat(w.pid()).isPositive();
            });
            assertThat(bridge.call("add", Map.of("a", 1, "b", 2), Integer.class)).isEqualTo(3);
            assertThat(bridge.call("echo", List.of("x", 1), List.class)).containsExactly("x", 1);
            // handlers.mjs imports ./lib/greeting.mjs
            assertThat(bridge.call("greet", Map.of("name", "you"), String.class)).isEqualTo("hello, you");
            assertThat(context.getBean(ProcessioLifecycle.class).isRunning()).isTrue();
        });
    }

    @Test
    void usesTheApplicationsJsonMapper() {
        runner.withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class))
                .withPropertyValues(MODULE, "processio.pool.min-workers=0")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(JsonMapper.class);
                    NodeBridgeOptions options = optionsOf(context, ProcessioBridgeFactory.DEFAULT_POOL);
                    assertThat(options.jsonMapper()).isSameAs(context.getBean(JsonMapper.class));
                });
    }

    @Test
    void defaultsMatchTheCoreDefaults() {
        runner.withPropertyValues(MODULE, "processio.pool.min-workers=0").run(context -> {
            NodeBridgeOptions options = optionsOf(context, ProcessioBridgeFactory.DEFAULT_POOL);
            NodeBridgeOptions core = NodeBridgeOptions.builder().module(options.module()).minWorkers(0).build();
            assertThat(options).usingRecursiveComparison()
                    .ignoringFields("values.jsonMapper", "values.circuitBreakerRegistry",
                            "values.circuitBreakerConfigName", "values.metricsTrackerFactory", "values.shutdownHook")
                    .isEqualTo(core);
            // The context closes its bridges in its own lifecycle; no JVM hook of the bridge races it.
            assertThat(options.shutdownHook()).isFalse();
        });
    }

    // ---- binding ---------------------------------------------------------------------------------

    @Test
    void bindsEveryKey() throws Exception {
        Path workingDirectory = Files.createDirectory(temp.resolve("work"));
        runner.withPropertyValues(MODULE,
                "processio.node.executable=/opt/node/bin/node",
                "processio.node.options=--max-old-space-size=256,--no-warnings",
                "processio.worker.working-directory=" + workingDirectory,
                "processio.worker.inherit-environment=false",
                "processio.worker.environment.GREETING=hi",
                "processio.worker.environment.LEVEL=3",
                "processio.worker.startup-timeout=7s",
                "processio.pool.min-workers=0",
                "processio.pool.max-workers=3",
                "processio.pool.max-in-flight-per-worker=5",
                "processio.pool.max-pending=50",
                "processio.pool.acquire-timeout=250ms",
                "processio.pool.idle-timeout=2m",
                "processio.call.timeout=1500ms",
                "processio.io.write-queue-frames=64",
                "processio.io.write-queue-bytes=2MB",
                "processio.io.backpressure=fail",
                "processio.io.enqueue-timeout=150ms",
                "processio.io.write-timeout=3s",
                "processio.io.max-frame-size=512KB",
                "processio.health-check.interval=20s",
                "processio.health-check.timeout=2s",
                "processio.recycle.max-requests=500",
                "processio.recycle.max-requests-jitter=50",
                "processio.recycle.max-age=1h",
                "processio.recycle.max-memory=300MB",
                "processio.quarantine.failure-rate-threshold=25.5",
                "processio.quarantine.sliding-window-size=20",
                "processio.quarantine.minimum-number-of-calls=7",
                "processio.quarantine.permitted-calls-in-half-open-state=3",
                "processio.quarantine.wait-duration=250ms",
                "processio.quarantine.max-wait-duration=30s",
                "processio.quarantine.backoff-multiplier=1.5",
                "processio.shutdown.grace-period=4s",
                "processio.shutdown.kill-timeout=1s")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(NodeBridge.class);
                    assertThat(context.getBean(NodeBridge.class).snapshot().workers()).isEmpty();
                    NodeBridgeOptions o = optionsOf(context, ProcessioBridgeFactory.DEFAULT_POOL);
                    assertThat(o.name()).isEqualTo("default");
                    assertThat(o.nodeExecutable()).isEqualTo("/opt/node/bin/node");
                    assertThat(o.nodeOptions()).containsExactly("--max-old-space-size=256", "--no-warnings");
                    assertThat(o.module()).isEqualTo(testResource("js/handlers.mjs"));
                    assertThat(o.command()).isNull();
                    assertThat(o.workingDirectory()).isEqualTo(workingDirectory);
                    assertThat(o.inheritEnvironment()).isFalse();
                    assertThat(o.environment()).containsExactlyInAnyOrderEntriesOf(
                            Map.of("GREETING", "hi", "LEVEL", "3"));
                    assertThat(o.startupTimeout()).isEqualTo(Duration.ofSeconds(7));
                    assertThat(o.minWorkers()).isZero();
                    assertThat(o.maxWorkers()).isEqualTo(3);
                    assertThat(o.maxInFlightPerWorker()).isEqualTo(5);
                    assertThat(o.maxPending()).isEqualTo(50);
                    assertThat(o.acquireTimeout()).isEqualTo(Duration.ofMillis(250));
                    assertThat(o.idleTimeout()).isEqualTo(Duration.ofMinutes(2));
                    assertThat(o.callTimeout()).isEqualTo(Duration.ofMillis(1500));
                    assertThat(o.writeQueueFrames()).isEqualTo(64);
                    assertThat(o.writeQueueBytes()).isEqualTo(DataSize.ofMegabytes(2).toBytes());
                    assertThat(o.backpressure()).isEqualTo(Backpressure.FAIL);
                    assertThat(o.enqueueTimeout()).isEqualTo(Duration.ofMillis(150));
                    assertThat(o.writeTimeout()).isEqualTo(Duration.ofSeconds(3));
                    assertThat(o.maxFrameSize()).isEqualTo(512 * 1024);
                    assertThat(o.healthCheckInterval()).isEqualTo(Duration.ofSeconds(20));
                    assertThat(o.healthCheckTimeout()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(o.recycleMaxRequests()).isEqualTo(500);
                    assertThat(o.recycleMaxRequestsJitter()).isEqualTo(50);
                    assertThat(o.recycleMaxAge()).isEqualTo(Duration.ofHours(1));
                    assertThat(o.recycleMaxMemory()).isEqualTo(300L * 1024 * 1024);
                    assertThat(o.failureRateThreshold()).isEqualTo(25.5f);
                    assertThat(o.slidingWindowSize()).isEqualTo(20);
                    assertThat(o.minimumNumberOfCalls()).isEqualTo(7);
                    assertThat(o.permittedCallsInHalfOpenState()).isEqualTo(3);
                    assertThat(o.waitDuration()).isEqualTo(Duration.ofMillis(250));
                    assertThat(o.maxWaitDuration()).isEqualTo(Duration.ofSeconds(30));
                    assertThat(o.backoffMultiplier()).isEqualTo(1.5);
                    assertThat(o.gracePeriod()).isEqualTo(Duration.ofSeconds(4));
                    assertThat(o.killTimeout()).isEqualTo(Duration.ofSeconds(1));
                    assertThat(o.circuitBreakerRegistry()).isNull();
                    assertThat(o.metricsTrackerFactory()).isNull();
                });
    }

    @Test
    void aWorkerCommandAloneMakesTheDefaultPool() {
        runner.withPropertyValues("processio.worker.command=/usr/local/bin/my-worker,--mode,fast",
                "processio.pool.min-workers=0").run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(NodeBridge.class);
                    NodeBridgeOptions o = optionsOf(context, ProcessioBridgeFactory.DEFAULT_POOL);
                    assertThat(o.command()).containsExactly("/usr/local/bin/my-worker", "--mode", "fast");
                    assertThat(o.module()).isNull();
                });
    }

    @Test
    void aFilePathModuleIsUsedAsIs() throws Exception {
        Path module = testResource("js/handlers.mjs");
        runner.withPropertyValues("processio.node.module=" + module).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(optionsOf(context, ProcessioBridgeFactory.DEFAULT_POOL).module()).isEqualTo(module);
            assertThat(context.getBean(NodeBridge.class).call("add", Map.of("a", 2, "b", 2), Integer.class))
                    .isEqualTo(4);
        });
    }

    // ---- foreign servers: dialects, init messages, server requests ------------------------------

    @Test
    void bindsTheKeysOfAJsonRpcServer() {
        runner.withPropertyValues("processio.worker.command=lsp-server,--stdio",
                "processio.worker.dialect=json-rpc",
                "processio.worker.init-calls[0].method=auth/login",
                "processio.worker.init-calls[0].params.client=processio",
                "processio.worker.init-calls[0].params.client-info.name=app",
                "processio.worker.init-calls[1].method=workspace/open",
                "processio.worker.init-calls[1].params-json="
                        + "{\"depth\": 2, \"watch\": true, \"roots\": [\"/srv\"]}",
                "processio.worker.init-notifications[0].method=initialized",
                "processio.worker.cancel-notification.method=$/cancelRequest",
                "processio.worker.cancel-notification.id-member=requestId",
                "processio.health-check.method=health",
                "processio.python.executable=/usr/bin/python3.12",
                "processio.pool.min-workers=0")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(NodeBridge.class);
                    NodeBridgeOptions o = optionsOf(context, ProcessioBridgeFactory.DEFAULT_POOL);
                    assertThat(o.command()).containsExactly("lsp-server", "--stdio");
                    assertThat(o.dialect()).isEqualTo(Dialect.JSON_RPC);
                    assertThat(o.initCalls()).extracting(InitMessage::method)
                            .containsExactly("auth/login", "workspace/open");
                    assertThat(o.initCalls().get(0).params())
                            .isEqualTo(Map.of("client", "processio", "client-info", Map.of("name", "app")));
                    JsonNode typed = (JsonNode) o.initCalls().get(1).params();
                    assertThat(typed.get("depth").isInt()).isTrue();
                    assertThat(typed.get("watch").isBoolean()).isTrue();
                    assertThat(typed.get("roots").isArray()).isTrue();
                    assertThat(o.initNotifications()).singleElement()
                            .isEqualTo(InitMessage.of("initialized"));
                    assertThat(o.cancelNotificationMethod()).isEqualTo("$/cancelRequest");
                    assertThat(o.cancelNotificationIdMember()).isEqualTo("requestId");
                    assertThat(o.healthCheckMethod()).isEqualTo("health");
                    assertThat(o.pythonExecutable()).isEqualTo("/usr/bin/python3.12");
                    assertThat(o.mcpProtocolVersion()).isNull();
                    assertThat(o.serverRequestHandler()).isNull();
                });
    }

    @Test
    void aNamedPoolTalksToAnMcpServerBesideTheDefaultNodePool() {
        runner.withPropertyValues(MODULE, "processio.pool.min-workers=0",
                "processio.pools.assistant.worker.command=npx,-y,@acme/mcp-server",
                "processio.pools.assistant.worker.dialect=mcp",
                "processio.pools.assistant.worker.mcp.protocol-version=2025-06-18",
                "processio.pools.assistant.worker.init-calls[0].method=tools/list",
                "processio.pools.assistant.worker.init-notifications[0].method=notifications/custom/hello",
                "processio.pools.assistant.health-check.method=ping",
                "processio.pools.assistant.worker.startup-timeout=90s")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasBean("nodeBridge").hasBean("assistantNodeBridge");
                    NodeBridgeOptions assistant = optionsOf(context, "assistant");
                    assertThat(assistant.command()).containsExactly("npx", "-y", "@acme/mcp-server");
                    assertThat(assistant.module()).isNull();
                    assertThat(assistant.dialect()).isEqualTo(Dialect.MCP);
                    assertThat(assistant.mcpProtocolVersion()).isEqualTo("2025-06-18");
                    assertThat(assistant.initCalls()).containsExactly(InitMessage.of("tools/list"));
                    assertThat(assistant.initNotifications())
                            .containsExactly(InitMessage.of("notifications/custom/hello"));
                    assertThat(assistant.healthCheckMethod()).isEqualTo("ping");
                    assertThat(assistant.startupTimeout()).isEqualTo(Duration.ofSeconds(90));
                    // Inherited from processio.*, as every key a named pool leaves unset.
                    assertThat(assistant.minWorkers()).isZero();

                    NodeBridgeOptions node = optionsOf(context, ProcessioBridgeFactory.DEFAULT_POOL);
                    assertThat(node.module()).isEqualTo(testResource("js/handlers.mjs"));
                    assertThat(node.dialect()).isEqualTo(Dialect.PROCESSIO);
                    assertThat(node.initCalls()).isEmpty();
                    assertThat(node.healthCheckMethod()).isNull();
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"json-rpc", "JSON_RPC", "json_rpc", "Json-Rpc"})
    void theDialectBindsLeniently(String value) {
        runner.withPropertyValues("processio.worker.command=server", "processio.pool.min-workers=0",
                "processio.worker.dialect=" + value).run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(optionsOf(context, "default").dialect()).isEqualTo(Dialect.JSON_RPC);
                });
    }

    @Test
    void anUnknownDialectFailsTheBindingOfThatKey() {
        runner.withPropertyValues("processio.worker.command=server", "processio.worker.dialect=grpc")
                .run(context -> {
                    assertThat(context).hasFailed();
                    BindException bind = findCause(context.getStartupFailure(), BindException.class);
                    assertThat(bind.getName()).hasToString("processio.worker.dialect");
                    assertThat(bind.getProperty().getValue()).isEqualTo("grpc");
                });
    }

    @Test
    void paramsAndParamsJsonTogetherFailTheStartNamingTheEntry() {
        runner.withPropertyValues(MODULE, "processio.pool.min-workers=0",
                "processio.pools.fs.worker.command=fs-server",
                "processio.pools.fs.worker.dialect=json-rpc",
                "processio.pools.fs.worker.init-calls[0].method=auth/login",
                "processio.pools.fs.worker.init-calls[0].params.client=x",
                "processio.pools.fs.worker.init-calls[0].params-json={\"client\": \"x\"}")
                .run(context -> {
                    assertThat(context).hasFailed();
                    InvalidProcessioPropertiesException invalid = findCause(context.getStartupFailure(),
                            InvalidProcessioPropertiesException.class);
                    assertThat(invalid.pool()).isEqualTo("fs");
                    FailureAnalysis analysis = new InvalidProcessioPropertiesFailureAnalyzer()
                            .analyze(context.getStartupFailure());
                    assertThat(analysis).isNotNull();
                    assertThat(analysis.getDescription()).contains("pool 'fs'")
                            .contains("processio.pools.fs.worker.init-calls[0] sets both params and params-json");
                });
    }

    @Test
    void paramsJsonThatIsNotJsonFailsTheStartNamingTheKeyAndTheError() {
        runner.withPropertyValues("processio.worker.command=server", "processio.worker.dialect=json-rpc",
                "processio.worker.init-calls[0].method=auth/login",
                "processio.worker.init-calls[0].params-json={client: x}")
                .run(context -> {
                    assertThat(context).hasFailed();
                    FailureAnalysis analysis = new InvalidProcessioPropertiesFailureAnalyzer()
                            .analyze(context.getStartupFailure());
                    assertThat(analysis).isNotNull();
                    assertThat(analysis.getDescription()).contains("pool 'default'")
                            .contains("processio.worker.init-calls[0].params-json is not valid JSON: Unexpected"
                                    + " character ('c'")
                            .contains("at line 1, column 2");
                });
    }

    @Test
    void aServerRequestHandlerBeanServesEveryPool() {
        ServerRequestHandler handler = (pool, method, params) -> Map.of("roots", List.of());
        runner.withBean(ServerRequestHandler.class, () -> handler)
                .withPropertyValues("processio.worker.command=server", "processio.worker.dialect=mcp",
                        "processio.pool.min-workers=0", "processio.pools.other.pool.max-workers=2")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(optionsOf(context, "default").serverRequestHandler()).isSameAs(handler);
                    assertThat(optionsOf(context, "other").serverRequestHandler()).isSameAs(handler);
                });
    }

    @Test
    void aCustomizerMaySetAnotherHandlerForOnePool() {
        ServerRequestHandler shared = (pool, method, params) -> ServerRequestHandler.NOT_HANDLED;
        ServerRequestHandler own = (pool, method, params) -> "own";
        runner.withBean(ServerRequestHandler.class, () -> shared)
                .withBean(NodeBridgeOptionsCustomizer.class, () -> (pool, options) -> {
                    if (pool.equals("special")) {
                        options.serverRequestHandler(own);
                    }
                })
                .withPropertyValues("processio.worker.command=server", "processio.pool.min-workers=0",
                        "processio.pools.special.pool.max-workers=1")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(optionsOf(context, "default").serverRequestHandler()).isSameAs(shared);
                    assertThat(optionsOf(context, "special").serverRequestHandler()).isSameAs(own);
                });
    }

    @Test
    void ofSeveralHandlersThePrimaryOneIsUsed() {
        runner.withUserConfiguration(TwoHandlers.class, PrimaryHandler.class)
                .withPropertyValues("processio.worker.command=server", "processio.pool.min-workers=0")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(optionsOf(context, "default").serverRequestHandler())
                            .isSameAs(context.getBean("primaryHandler"));
                });
    }

    @Test
    void severalHandlersWithoutAPrimaryOneFailTheStart() {
        runner.withUserConfiguration(TwoHandlers.class)
                .withPropertyValues("processio.worker.command=server", "processio.pool.min-workers=0")
                .run(context -> {
                    assertThat(context).hasFailed();
                    NoUniqueBeanDefinitionException ambiguous = findCause(context.getStartupFailure(),
                            NoUniqueBeanDefinitionException.class);
                    assertThat(ambiguous.getBeanNamesFound()).containsExactlyInAnyOrder("rootsHandler",
                            "samplingHandler");
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoHandlers {

        @Bean
        ServerRequestHandler rootsHandler() {
            return (pool, method, params) -> ServerRequestHandler.NOT_HANDLED;
        }

        @Bean
        ServerRequestHandler samplingHandler() {
            return (pool, method, params) -> ServerRequestHandler.NOT_HANDLED;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class PrimaryHandler {

        @Bean
        @Primary
        ServerRequestHandler primaryHandler() {
            return (pool, method, params) -> ServerRequestHandler.NOT_HANDLED;
        }
    }

    @ParameterizedTest
    @CsvSource({
            "processio.node.module=handlers.mjs, true",
            "processio.python.module=handlers.py, true",
            "processio.worker.command=server, true",
            "processio.pools.scripts.python.module=handlers.py, false"})
    void theDefaultPoolRunsWhenItHasSomethingToRun(String property, boolean runs) {
        new ApplicationContextRunner().withUserConfiguration(WhenTheDefaultPoolRuns.class)
                .withPropertyValues(property)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    if (runs) {
                        assertThat(context).hasBean("defaultPoolRuns");
                    } else {
                        assertThat(context).doesNotHaveBean("defaultPoolRuns");
                    }
                });
    }

    @Configuration(proxyBeanMethods = false)
    @Conditional(OnDefaultPoolCondition.class)
    static class WhenTheDefaultPoolRuns {

        @Bean
        String defaultPoolRuns() {
            return "runs";
        }
    }

    // ---- when there is nothing to do ------------------------------------------------------------

    @Test
    void withoutModuleOrCommandThereIsNoBridgeAndNoFailure() {
        runner.withBean(SimpleMeterRegistry.class).run(context -> {
            assertThat(context).hasNotFailed()
                    .doesNotHaveBean(NodeBridge.class)
                    .doesNotHaveBean("processioHealthContributor")
                    .hasSingleBean(ProcessioBridgeFactory.class)
                    .hasSingleBean(ProcessioProperties.class);
            assertThat(NoLeaks.describeLeaks()).isEmpty();
        });
    }

    @Test
    void disabledCreatesNoBeanAtAll() {
        runner.withBean(SimpleMeterRegistry.class)
                .withPropertyValues("processio.enabled=false", MODULE,
                        "processio.pools.render.node.module=classpath:js/handlers.mjs",
                        "management.endpoints.web.exposure.include=processio")
                .run(context -> {
                    assertThat(context).hasNotFailed()
                            .doesNotHaveBean(NodeBridge.class)
                            .doesNotHaveBean(ProcessioBridgeFactory.class)
                            .doesNotHaveBean(ProcessioProperties.class)
                            .doesNotHaveBean(ProcessioLifecycle.class)
                            .doesNotHaveBean(NodeBridgeOptionsCustomizer.class)
                            .doesNotHaveBean(ProcessioEndpoint.class)
                            .doesNotHaveBean("processioHealthContributor");
                    assertThat(context.getBeanDefinitionNames())
                            .noneMatch(name -> name.toLowerCase(java.util.Locale.ROOT).contains("processio")
                                    || name.endsWith("NodeBridge"));
                });
    }

    // ---- back-off --------------------------------------------------------------------------------

    @Test
    void anApplicationNodeBridgeNamedNodeBridgeReplacesTheDefaultPool() {
        runner.withUserConfiguration(OwnBridgeConfiguration.class).withPropertyValues(MODULE).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(NodeBridge.class);
            NodeBridge bridge = context.getBean(NodeBridge.class);
            assertThat(bridge).isSameAs(context.getBean("nodeBridge"));
            assertThat(bridge.name()).isEqualTo("mine");
            assertThat(bridge.call("add", Map.of("a", 20, "b", 22), Integer.class)).isEqualTo(42);
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnBridgeConfiguration {

        @Bean(destroyMethod = "close")
        NodeBridge nodeBridge() {
            return NodeBridge.start(NodeBridgeOptions.builder().name("mine")
                    .module(testResource("js/handlers.mjs")).build());
        }
    }

    @Test
    void anApplicationBridgeFactoryIsUsed() {
        runner.withUserConfiguration(OwnFactoryConfiguration.class).withPropertyValues(MODULE).run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(ProcessioBridgeFactory.class);
            assertThat(context.getBean(ProcessioBridgeFactory.class)).isSameAs(context.getBean("myProcessioFactory"));
            NodeBridge bridge = context.getBean(NodeBridge.class);
            assertThat(bridge.name()).isEqualTo("from-my-factory");
            assertThat(bridge.call("add", Map.of("a", 1, "b", 1), Integer.class)).isEqualTo(2);
        });
    }

    @Test
    void anApplicationBridgeFactoryAlsoCreatesTheNamedPools() {
        runner.withUserConfiguration(OwnFactoryConfiguration.class)
                .withPropertyValues(MODULE, "processio.pool.min-workers=0",
                        "processio.pools.render.pool.min-workers=0")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasBean("renderNodeBridge");
                    assertThat(context.getBean("renderNodeBridge", NodeBridge.class).name())
                            .isEqualTo("from-my-factory");
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnFactoryConfiguration {

        @Bean
        ProcessioBridgeFactory myProcessioFactory(ProcessioProperties properties, Environment environment,
                ResourceLoader resourceLoader) {
            NodeBridgeOptionsCustomizer rename = (pool, options) -> options.name("from-my-factory");
            return new ProcessioBridgeFactory(properties, environment, resourceLoader, null, null, List.of(rename));
        }
    }

    @Test
    void aCustomizerBeanAdjustsEveryPool() {
        runner.withBean(NodeBridgeOptionsCustomizer.class,
                () -> (pool, options) -> options.environment("POOL_NAME", pool))
                .withPropertyValues(MODULE, "processio.pool.min-workers=0",
                        "processio.pools.render.pool.min-workers=0")
                .run(context -> {
                    assertThat(optionsOf(context, "default").environment()).containsEntry("POOL_NAME", "default");
                    assertThat(optionsOf(context, "render").environment()).containsEntry("POOL_NAME", "render");
                });
    }

    // ---- named pools -----------------------------------------------------------------------------

    @Test
    void namedPoolsBecomeQualifiedBeansThatInheritTheTopLevelKeys() {
        runner.withUserConfiguration(RenderClient.class)
                .withPropertyValues(MODULE,
                        "processio.call.timeout=7s",
                        "processio.pool.max-in-flight-per-worker=3",
                        "processio.pools.render.node.module=classpath:js/handlers.mjs",
                        "processio.pools.render.call.timeout=3s",
                        "processio.pools.other.pool.max-workers=2",
                        "management.endpoints.web.exposure.include=processio")
                .run(context -> {
                    assertThat(context).hasNotFailed()
                            .hasBean("nodeBridge").hasBean("renderNodeBridge").hasBean("otherNodeBridge");
                    assertThat(context.getBeansOfType(NodeBridge.class)).hasSize(3);
                    NodeBridge primary = context.getBean(NodeBridge.class);
                    NodeBridge render = context.getBean("renderNodeBridge", NodeBridge.class);
                    NodeBridge other = context.getBean("otherNodeBridge", NodeBridge.class);
                    assertThat(primary).isSameAs(context.getBean("nodeBridge"));
                    assertThat(primary.name()).isEqualTo("default");
                    assertThat(render.name()).isEqualTo("render");
                    assertThat(other.name()).isEqualTo("other");
                    assertThat(context.getBean(RenderClient.class).bridge).isSameAs(render);

                    for (NodeBridge bridge : List.of(primary, render, other)) {
                        assertThat(bridge.call("add", Map.of("a", 1, "b", 2), Integer.class)).isEqualTo(3);
                    }
                    // Three pools, three different processes.
                    assertThat(Stream.of(primary, render, other).map(b -> b.call("pid", null, Long.class)))
                            .doesNotHaveDuplicates();

                    NodeBridgeOptions defaults = optionsOf(context, "default");
                    NodeBridgeOptions renderOptions = optionsOf(context, "render");
                    NodeBridgeOptions otherOptions = optionsOf(context, "other");
                    assertThat(defaults.maxWorkers()).isEqualTo(4);
                    assertThat(defaults.callTimeout()).isEqualTo(Duration.ofSeconds(7));
                    assertThat(renderOptions.name()).isEqualTo("render");
                    assertThat(renderOptions.callTimeout()).isEqualTo(Duration.ofSeconds(3));
                    assertThat(renderOptions.maxInFlightPerWorker()).isEqualTo(3);
                    assertThat(otherOptions.name()).isEqualTo("other");
                    assertThat(otherOptions.callTimeout()).isEqualTo(Duration.ofSeconds(7));
                    assertThat(otherOptions.maxWorkers()).isEqualTo(2);
                    assertThat(otherOptions.maxInFlightPerWorker()).isEqualTo(3);
                    assertThat(otherOptions.module()).isEqualTo(defaults.module());

                    HealthContributor health = context.getBean("processioHealthContributor",
                            HealthContributor.class);
                    assertThat(health).isInstanceOfSatisfying(CompositeHealthContributor.class, composite -> {
                        assertThat(composite.getContributor("default")).isInstanceOf(ProcessioHealthIndicator.class);
                        assertThat(composite.getContributor("render")).isInstanceOf(ProcessioHealthIndicator.class);
                        assertThat(composite.getContributor("other")).isInstanceOf(ProcessioHealthIndicator.class);
                    });
                    assertThat(context.getBean(ProcessioEndpoint.class).pools().pools())
                            .containsOnlyKeys("default", "render", "other");
                });
    }

    static class RenderClient {

        final NodeBridge bridge;

        RenderClient(@Qualifier("render") NodeBridge bridge) {
            this.bridge = bridge;
        }
    }

    @Test
    void namedPoolsWithoutTheDefaultPool() {
        runner.withPropertyValues("processio.pools.render.node.module=classpath:js/handlers.mjs").run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean("nodeBridge").hasSingleBean(NodeBridge.class);
            assertThat(context.getBean(NodeBridge.class).name()).isEqualTo("render");
            assertThat(context.getBean(NodeBridge.class).call("add", Map.of("a", 1, "b", 2), Integer.class))
                    .isEqualTo(3);
        });
    }

    @Test
    void anApplicationBeanOfANamedPoolsNameReplacesIt() {
        runner.withUserConfiguration(OwnRenderBridgeConfiguration.class)
                .withPropertyValues(MODULE, "processio.pool.min-workers=0",
                        "processio.pools.render.pool.min-workers=0")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean("renderNodeBridge", NodeBridge.class).name()).isEqualTo("mine");
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnRenderBridgeConfiguration {

        @Bean(destroyMethod = "close")
        NodeBridge renderNodeBridge() {
            return NodeBridge.start(NodeBridgeOptions.builder().name("mine").minWorkers(0)
                    .module(testResource("js/handlers.mjs")).build());
        }
    }

    // ---- invalid properties ----------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            processio.pool.min-workers=3,processio.pool.max-workers=2 | processio.pool.min-workers (3) must not be greater than processio.pool.max-workers (2)
            processio.io.write-queue-frames=-1                       | processio.io.write-queue-frames must be at least 1, was -1
            processio.io.write-queue-bytes=-2MB                      | processio.io.write-queue-bytes must be at least 1
            processio.quarantine.failure-rate-threshold=0            | processio.quarantine.failure-rate-threshold must be in (0, 100]
            processio.call.timeout=0s                                | processio.call.timeout must be a positive duration
            """)
    void invalidValuesFailTheStartWithAMessageNamingTheKey(String properties, String expected) {
        runner.withPropertyValues(MODULE).withPropertyValues(properties.split(",")).run(context -> {
            assertThat(context).hasFailed();
            Throwable failure = context.getStartupFailure();
            assertThat(failure).rootCause().isInstanceOf(IllegalArgumentException.class);
            InvalidProcessioPropertiesException invalid = findCause(failure, InvalidProcessioPropertiesException.class);
            assertThat(invalid.pool()).isEqualTo("default");
            assertThat(invalid).hasMessageContaining(expected);
            FailureAnalysis analysis = new InvalidProcessioPropertiesFailureAnalyzer().analyze(failure);
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription()).contains("pool 'default'").contains(expected);
            assertThat(analysis.getAction()).isNotBlank();
        });
    }

    @Test
    void anInvalidNamedPoolNamesItsOwnKeys() {
        runner.withPropertyValues(MODULE, "processio.pools.render.pool.max-workers=0").run(context -> {
            assertThat(context).hasFailed();
            FailureAnalysis analysis = new InvalidProcessioPropertiesFailureAnalyzer()
                    .analyze(context.getStartupFailure());
            assertThat(analysis).isNotNull();
            assertThat(analysis.getDescription()).contains("pool 'render'")
                    .contains("processio.pool.max-workers must be at least 1, was 0")
                    .contains("processio.pools.render.");
        });
    }

    @Test
    void anUnknownBackpressureModeFailsTheBindingOfThatKey() {
        runner.withPropertyValues(MODULE, "processio.io.backpressure=sometimes").run(context -> {
            assertThat(context).hasFailed();
            BindException bind = findCause(context.getStartupFailure(), BindException.class);
            assertThat(bind.getName()).hasToString("processio.io.backpressure");
            assertThat(bind.getProperty().getValue()).isEqualTo("sometimes");
            assertThat(NestedExceptionUtils.getMostSpecificCause(bind))
                    .hasMessageContaining("sometimes");
        });
    }

    // ---- workers that cannot start ---------------------------------------------------------------

    @Test
    void aMissingNodeExecutableFailsWithCommandNotFound() {
        runner.withPropertyValues(MODULE, "processio.node.executable=/nonexistent/node").run(context -> {
            BridgeStartupException e = startupFailure(context, BridgeStartupException.Reason.COMMAND_NOT_FOUND);
            assertThat(e.pool()).isEqualTo("default");
            FailureAnalysis analysis = startupFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis.getDescription()).contains("pool 'default'").contains(e.getMessage());
            assertThat(analysis.getAction()).contains("processio.node.executable");
        });
    }

    @Test
    void aModuleMissingFromTheClasspathFailsWithModuleNotFound() {
        runner.withPropertyValues("processio.node.module=classpath:js/missing.mjs").run(context -> {
            BridgeStartupException e = startupFailure(context, BridgeStartupException.Reason.MODULE_NOT_FOUND);
            assertThat(e).hasMessageContaining("classpath:js/missing.mjs").hasMessageContaining("processio.node.module");
            FailureAnalysis analysis = startupFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis.getAction()).contains("processio.node.module");
        });
    }

    @Test
    void aModuleFileThatDoesNotExistFailsWithModuleNotFound() {
        runner.withPropertyValues("processio.node.module=" + temp.resolve("missing.mjs")).run(context -> {
            BridgeStartupException e = startupFailure(context, BridgeStartupException.Reason.MODULE_NOT_FOUND);
            assertThat(e).hasMessageContaining("missing.mjs");
        });
    }

    @Test
    void aModuleWithASyntaxErrorFailsWithModuleLoadFailedAndTheStderrTail() {
        runner.withPropertyValues("processio.node.module=classpath:broken/syntax-error.mjs").run(context -> {
            BridgeStartupException e = startupFailure(context, BridgeStartupException.Reason.MODULE_LOAD_FAILED);
            assertThat(e.stderrTail()).contains("SyntaxError").contains("syntax-error.mjs");
            FailureAnalysis analysis = startupFailureAnalyzer().analyze(context.getStartupFailure());
            assertThat(analysis.getDescription()).contains("SyntaxError");
            assertThat(analysis.getAction()).contains("processio.node.module");
        });
    }

    @Test
    void aNamedPoolThatCannotStartNamesItsOwnKeysAndStopsTheOthers() {
        runner.withPropertyValues(MODULE, "processio.pools.render.node.module=classpath:js/missing.mjs")
                .run(context -> {
                    BridgeStartupException e = startupFailure(context,
                            BridgeStartupException.Reason.MODULE_NOT_FOUND);
                    assertThat(e.pool()).isEqualTo("render");
                    FailureAnalysis analysis = startupFailureAnalyzer().analyze(context.getStartupFailure());
                    assertThat(analysis.getAction()).contains("processio.pools.render.node.module");
                });
    }

    // ---- classpath modules inside a jar ----------------------------------------------------------

    @Test
    void aModuleInAJarIsCopiedOutWithItsDirectoryAndDeletedAtClose() throws Exception {
        Path jar = jar(Map.of(
                "js/app.mjs", """
                        import { twice } from './lib/helper.mjs';
                        export function double({ n }) { return twice(n); }
                        export function where() { return import.meta.url; }
                        """,
                "js/lib/helper.mjs", "export function twice(n) { return 2 * n; }\n"));
        Path[] moduleDirectory = new Path[1];
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader())) {
            new ApplicationContextRunner().withClassLoader(loader)
                    .withConfiguration(AutoConfigurations.of(ProcessioAutoConfiguration.class))
                    .withPropertyValues("processio.node.module=classpath:js/app.mjs")
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        NodeBridge bridge = context.getBean(NodeBridge.class);
                        assertThat(bridge.call("double", Map.of("n", 21), Integer.class)).isEqualTo(42);
                        Path module = Path.of(java.net.URI.create(bridge.call("where", null, String.class)));
                        moduleDirectory[0] = module.getParent();
                        assertThat(moduleDirectory[0].getFileName().toString()).startsWith("processio-module-");
                        assertThat(moduleDirectory[0].resolve("lib/helper.mjs")).isRegularFile();
                        assertThat(moduleDirectory[0].getParent())
                                .isEqualTo(Path.of(System.getProperty("java.io.tmpdir")).toRealPath());
                    });
        }
        assertThat(moduleDirectory[0]).doesNotExist();
    }

    @Test
    void aDirectoryInsideTheModuleDirectoryWithTheSameNameIsCopiedToItsPlace() throws Exception {
        Path jar = jar(Map.of(
                "scripts/app.mjs", """
                        import { value } from './vendor/scripts/value.mjs';
                        export function get() { return value; }
                        """,
                "scripts/value.mjs", "export const value = 'top';\n",
                "scripts/vendor/scripts/value.mjs", "export const value = 'nested';\n"));
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader())) {
            new ApplicationContextRunner().withClassLoader(loader)
                    .withConfiguration(AutoConfigurations.of(ProcessioAutoConfiguration.class))
                    .withPropertyValues("processio.node.module=classpath:scripts/app.mjs")
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        assertThat(context.getBean(NodeBridge.class).call("get", null, String.class))
                                .isEqualTo("nested");
                    });
        }
    }

    // ---- optional integrations -------------------------------------------------------------------

    @Test
    void withoutMicrometerThereAreNoMetricsBeans() {
        runner.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
                .withBean(SimpleMeterRegistry.class)
                .withPropertyValues(MODULE)
                .run(context -> {
                    assertThat(context).hasNotFailed()
                            .doesNotHaveBean("processioMetricsCustomizer")
                            .doesNotHaveBean("processioBreakerMetricsCustomizer");
                    NodeBridge bridge = context.getBean(NodeBridge.class);
                    assertThat(bridge.call("add", Map.of("a", 1, "b", 2), Integer.class)).isEqualTo(3);
                    assertThat(context.getBean(SimpleMeterRegistry.class).getMeters()).isEmpty();
                    assertThat(optionsOf(context, "default").metricsTrackerFactory()).isNull();
                });
    }

    @Test
    void withoutActuatorThereIsNoHealthContributorAndNoEndpoint() {
        // As in an application: through the import selector, which reads the class conditions from
        // META-INF/spring-autoconfigure-metadata.properties before it loads a class.
        new ApplicationContextRunner().withUserConfiguration(ImportedAutoConfigurations.class)
                .withClassLoader(new FilteredClassLoader("org.springframework.boot.actuate",
                        "org.springframework.boot.health"))
                .withPropertyValues(MODULE, "management.endpoints.web.exposure.include=processio")
                .run(context -> {
                    assertThat(context).hasNotFailed()
                            .hasSingleBean(NodeBridge.class)
                            .doesNotHaveBean("processioHealthContributor")
                            .doesNotHaveBean(ProcessioEndpoint.class);
                    assertThat(context.getBean(NodeBridge.class).call("add", Map.of("a", 1, "b", 2), Integer.class))
                            .isEqualTo(3);
                });
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ProcessioAutoConfiguration.class, ProcessioMetricsAutoConfiguration.class,
            ProcessioHealthAutoConfiguration.class, ProcessioEndpointAutoConfiguration.class})
    static class ImportedAutoConfigurations {
    }

    @ParameterizedTest
    @ValueSource(strings = {"org.springframework.boot.actuate", "org.springframework.boot.health"})
    void withoutActuatorTheAutoConfigurationsBackOffEvenWhenRegisteredDirectly(String missingPackage) {
        // The way Boot's own tests register auto-configurations, bypassing the metadata filter:
        // the @ConditionalOnClass of the class must keep its other conditions from being loaded.
        runner.withClassLoader(new FilteredClassLoader(missingPackage))
                .withPropertyValues(MODULE, "management.endpoints.web.exposure.include=processio")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(NodeBridge.class);
                    if (missingPackage.endsWith("health")) {
                        assertThat(context).doesNotHaveBean("processioHealthContributor");
                    } else {
                        assertThat(context).doesNotHaveBean(ProcessioEndpoint.class);
                    }
                });
    }

    @Test
    void withActuatorThereAreAHealthContributorAndAnEndpoint() {
        runner.withPropertyValues(MODULE, "management.endpoints.web.exposure.include=processio").run(context -> {
            assertThat(context).hasNotFailed()
                    .hasSingleBean(ProcessioEndpoint.class)
                    .getBean("processioHealthContributor").isInstanceOf(ProcessioHealthIndicator.class);
            assertThat(context.getBean(ProcessioEndpoint.class).pool("default")).isNotNull();
            assertThat(context.getBean(ProcessioEndpoint.class).pool("nope")).isNull();
        });
    }

    @Test
    void theHealthIndicatorCanBeTurnedOff() {
        runner.withPropertyValues(MODULE, "management.health.processio.enabled=false").run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(NodeBridge.class)
                    .doesNotHaveBean("processioHealthContributor");
        });
    }

    @Test
    void withoutAnApplicationBreakerRegistryEachPoolHasItsOwnBreakers() {
        runner.withPropertyValues(MODULE, "processio.quarantine.failure-rate-threshold=33").run(context -> {
            assertThat(context).hasNotFailed().doesNotHaveBean(CircuitBreakerRegistry.class);
            NodeBridge bridge = context.getBean(NodeBridge.class);
            assertThat(bridge.call("add", Map.of("a", 1, "b", 2), Integer.class)).isEqualTo(3);
            assertThat(bridge.snapshot().workers()).singleElement()
                    .extracting(WorkerSnapshot::breakerState).isEqualTo("CLOSED");
            assertThat(optionsOf(context, "default").circuitBreakerRegistry()).isNull();
        });
    }

    @Test
    void theApplicationsBreakerRegistryAndItsProcessioConfigurationAreUsed() {
        CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
        registry.addConfiguration(ProcessioBridgeFactory.BREAKER_CONFIG,
                CircuitBreakerConfig.custom().failureRateThreshold(20).slidingWindowSize(40).build());
        runner.withBean(CircuitBreakerRegistry.class, () -> registry).withPropertyValues(MODULE).run(context -> {
            assertThat(context).hasNotFailed();
            NodeBridgeOptions options = optionsOf(context, "default");
            assertThat(options.circuitBreakerRegistry()).isSameAs(registry);
            assertThat(options.circuitBreakerConfigName()).isEqualTo("processio");
            Optional<CircuitBreaker> breaker = registry.find("default-worker-1");
            assertThat(breaker).isPresent();
            CircuitBreakerConfig config = breaker.get().getCircuitBreakerConfig();
            assertThat(config.getFailureRateThreshold()).isEqualTo(20f);
            assertThat(config.getSlidingWindowSize()).isEqualTo(40);
            assertThat(registry.find("default-worker-4")).isPresent();
            assertThat(context.getBean(NodeBridge.class).call("add", Map.of("a", 1, "b", 2), Integer.class))
                    .isEqualTo(3);
        });
        assertThat(registry.find("default-worker-1")).isEmpty();
    }

    @Test
    void anApplicationBreakerRegistryWithoutAProcessioConfigurationGetsTheQuarantineSettings() {
        CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
        runner.withBean(CircuitBreakerRegistry.class, () -> registry)
                .withPropertyValues(MODULE, "processio.quarantine.failure-rate-threshold=33",
                        "processio.quarantine.sliding-window-size=12")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    CircuitBreakerConfig config = registry.find("default-worker-1").orElseThrow()
                            .getCircuitBreakerConfig();
                    assertThat(config.getFailureRateThreshold()).isEqualTo(33f);
                    assertThat(config.getSlidingWindowSize()).isEqualTo(12);
                });
    }

    // ---- metrics ---------------------------------------------------------------------------------

    @Test
    void callsAndBreakersArePublishedToTheMeterRegistry() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        runner.withBean(SimpleMeterRegistry.class, () -> meters).withPropertyValues(MODULE).run(context -> {
            assertThat(context).hasNotFailed()
                    .hasBean("processioMetricsCustomizer").hasBean("processioBreakerMetricsCustomizer");
            NodeBridge bridge = context.getBean(NodeBridge.class);
            assertThat(bridge.call("add", Map.of("a", 1, "b", 2), Integer.class)).isEqualTo(3);
            assertThat(meters.get("processio.calls").tags("pool", "default", "outcome", "success").timer().count())
                    .isEqualTo(1);
            assertThat(meters.get("processio.workers").tags("pool", "default", "state", "ready").gauge().value())
                    .isEqualTo(1.0);
            assertThat(meters.getMeters()).anySatisfy(meter -> {
                assertThat(meter.getId().getName()).startsWith("resilience4j.circuitbreaker");
                assertThat(meter.getId().getTag("name")).isEqualTo("default-worker-1");
            });
        });
        assertThat(meters.find("processio.calls").meters()).isEmpty();
    }

    @Test
    void withoutResilience4jMicrometerOnlyTheProcessioMetricsArePublished() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        runner.withClassLoader(new FilteredClassLoader(TaggedCircuitBreakerMetrics.class))
                .withBean(SimpleMeterRegistry.class, () -> meters).withPropertyValues(MODULE)
                .run(context -> {
                    assertThat(context).hasNotFailed().hasBean("processioMetricsCustomizer")
                            .doesNotHaveBean("processioBreakerMetricsCustomizer");
                    context.getBean(NodeBridge.class).call("add", Map.of("a", 1, "b", 2), Integer.class);
                    assertThat(meters.get("processio.calls").tags("outcome", "success").timer().count())
                            .isEqualTo(1);
                    assertThat(meters.getMeters())
                            .noneMatch(m -> m.getId().getName().startsWith("resilience4j"));
                });
    }

    @Test
    void anApplicationBreakerRegistryBindsItsOwnBreakerMetrics() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        runner.withBean(SimpleMeterRegistry.class, () -> meters)
                .withBean(CircuitBreakerRegistry.class, CircuitBreakerRegistry::ofDefaults)
                .withPropertyValues(MODULE)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    context.getBean(NodeBridge.class).call("add", Map.of("a", 1, "b", 2), Integer.class);
                    assertThat(meters.get("processio.calls").tags("outcome", "success").timer().count())
                            .isEqualTo(1);
                    assertThat(meters.getMeters())
                            .noneMatch(m -> m.getId().getName().startsWith("resilience4j"));
                });
    }

    // ---- lifecycle -------------------------------------------------------------------------------

    /**
     * A real application on a real Tomcat, closed while a request is in flight. The request calls the
     * bridge only once the server has begun its graceful shutdown (its listening socket is closed), and
     * still gets the worker's answer; when the server then stops its connector, the bridge is still
     * open and answers too. Only after that do the bridges close. Bridges that stopped before the web
     * server, or between its graceful shutdown and its stop, fail one of the two.
     */
    @Test
    void theBridgesStopAfterTheWebServer() throws Exception {
        ShutdownObservations seen = new ShutdownObservations();
        ConfigurableApplicationContext context = new SpringApplicationBuilder(LateCallApplication.class)
                .initializers(c -> c.getBeanFactory().registerSingleton("shutdownObservations", seen))
                .properties(MODULE, "server.port=0", "server.shutdown=graceful",
                        "spring.main.banner-mode=off", "spring.main.register-shutdown-hook=false")
                .run();
        NodeBridge bridge = context.getBean(NodeBridge.class);
        CompletableFuture<HttpResponse<String>> response;
        try {
            int port = ((WebServerApplicationContext) context).getWebServer().getPort();
            response = HttpClient.newHttpClient().sendAsync(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/late-call"))
                            .timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(seen.requestArrived.await(30, TimeUnit.SECONDS)).as("the request reached the controller")
                    .isTrue();
        } finally {
            context.close();
        }

        HttpResponse<String> answer = response.get(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("called after the server began to shut down");
        assertThat(seen.atConnectorStop).isEqualTo("called when the server stopped its connector");
        assertThat(bridge.isClosed()).isTrue();
    }

    /** What the application saw of its own shutdown. Written on Tomcat's threads, read by the test. */
    static final class ShutdownObservations {

        final CountDownLatch requestArrived = new CountDownLatch(1);

        volatile String atConnectorStop = "the connector never stopped";
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    @Import(LateCallController.class)
    static class LateCallApplication {

        /** Calls the bridge when Tomcat stops its connector: the web server's stop, not its graceful shutdown. */
        @Bean
        WebServerFactoryCustomizer<TomcatServletWebServerFactory> callTheBridgeWhenTheConnectorStops(
                ObjectProvider<NodeBridge> bridge, ShutdownObservations seen) {
            return factory -> factory.addConnectorCustomizers(connector -> connector.addLifecycleListener(event -> {
                if (Lifecycle.BEFORE_STOP_EVENT.equals(event.getType())) {
                    seen.atConnectorStop = LateCallController.echo(bridge.getObject(),
                            "called when the server stopped its connector").getBody();
                }
            }));
        }
    }

    @RestController
    static class LateCallController {

        private final NodeBridge bridge;
        private final ShutdownObservations seen;
        private final Environment environment;

        LateCallController(NodeBridge bridge, ShutdownObservations seen, Environment environment) {
            this.bridge = bridge;
            this.seen = seen;
            this.environment = environment;
        }

        /** Waits for the server's graceful shutdown to begin, then calls the bridge. */
        @GetMapping("/late-call")
        ResponseEntity<String> lateCall() throws InterruptedException {
            seen.requestArrived.countDown();
            int port = environment.getRequiredProperty("local.server.port", Integer.class);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (acceptsConnections(port)) {
                if (System.nanoTime() > deadline) {
                    return ResponseEntity.internalServerError().body("the server never closed its socket");
                }
                Thread.sleep(10);
            }
            return echo(bridge, "called after the server began to shut down");
        }

        static ResponseEntity<String> echo(NodeBridge bridge, String text) {
            try {
                return ResponseEntity.ok(bridge.call("echo", text, String.class));
            } catch (BridgeException e) {
                return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body(e.toString());
            }
        }

        private static boolean acceptsConnections(int port) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                return true;
            } catch (IOException refused) {
                return false;
            }
        }
    }

    @Test
    void closingTheContextStopsEveryWorker() {
        long[] pids = new long[2];
        runner.withPropertyValues(MODULE, "processio.pools.render.node.module=classpath:js/handlers.mjs")
                .run(context -> {
                    pids[0] = context.getBean("nodeBridge", NodeBridge.class).call("pid", null, Long.class);
                    pids[1] = context.getBean("renderNodeBridge", NodeBridge.class).call("pid", null, Long.class);
                    assertThat(ProcessHandle.of(pids[0])).hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
                });
        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
        }
    }

    @Test
    void aCallInFlightWhenTheContextClosesStillCompletes() throws Exception {
        AtomicReference<CompletableFuture<String>> pending = new AtomicReference<>();
        runner.withPropertyValues(MODULE).run(context -> {
            NodeBridge bridge = context.getBean(NodeBridge.class);
            // Long enough that the call is still running when the context closes, even on a busy
            // machine; far shorter than the grace period (30 s) that close gives it.
            pending.set(bridge.callAsync("sleep", Map.of("ms", 2000), String.class));
            await().atMost(Duration.ofSeconds(10)).until(() -> bridge.snapshot().activeCalls() == 1);
            assertThat(pending.get()).as("the call is still in flight as the context closes").isNotDone();
        });
        // The context closed only after the call had its answer.
        assertThat(pending.get()).isCompletedWithValue("slept");
    }

    // ---- helpers ---------------------------------------------------------------------------------

    /** The analyzer as Spring Boot makes it for the context that failed. */
    private ProcessioFailureAnalyzer startupFailureAnalyzer() {
        return new ProcessioFailureAnalyzer(environment.get());
    }

    private static NodeBridgeOptions optionsOf(AssertableApplicationContext context, String pool) {
        return context.getBean(ProcessioBridgeFactory.class).options(pool);
    }

    private static BridgeStartupException startupFailure(AssertableApplicationContext context,
            BridgeStartupException.Reason reason) {
        assertThat(context).hasFailed();
        BridgeStartupException e = findCause(context.getStartupFailure(), BridgeStartupException.class);
        assertThat(e.reason()).isEqualTo(reason);
        return e;
    }

    private static <T extends Throwable> T findCause(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in the causes of " + failure, failure);
    }

    static Path testResource(String name) {
        try {
            return Path.of(ProcessioAutoConfigurationTests.class.getClassLoader().getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private Path jar(Map<String, String> files) throws IOException {
        Path jar = Files.createTempFile(temp, "modules-", ".jar");
        // Directory entries first, as the jar tools write them: class loaders find directories by them.
        SortedSet<String> entries = new TreeSet<>();
        for (String file : files.keySet()) {
            for (int slash = file.indexOf('/'); slash >= 0; slash = file.indexOf('/', slash + 1)) {
                entries.add(file.substring(0, slash + 1));
            }
        }
        entries.addAll(files.keySet());
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out)) {
            for (String entry : entries) {
                jarOut.putNextEntry(new JarEntry(entry));
                if (!entry.endsWith("/")) {
                    jarOut.write(files.get(entry).getBytes(StandardCharsets.UTF_8));
                }
                jarOut.closeEntry();
            }
        }
        return jar;
    }
}
