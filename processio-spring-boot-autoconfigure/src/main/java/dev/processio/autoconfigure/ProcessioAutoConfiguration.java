package dev.processio.autoconfigure;

import dev.processio.NodeBridge;
import dev.processio.ServerRequestHandler;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import tools.jackson.databind.json.JsonMapper;

/**
 * Creates a {@link NodeBridge} for {@code processio.*} (when a module or command is set) and one
 * for each {@code processio.pools.<name>}. Bridges start with the context, so their workers are
 * ready before the application takes traffic, and stop in a late lifecycle phase, after the web
 * server has stopped taking requests.
 *
 * <p>Beans of the application that every pool uses:
 * <ul>
 *   <li>a {@link JsonMapper}, for params and results;</li>
 *   <li>a {@link CircuitBreakerRegistry}, for the slot breakers (see
 *       {@link ProcessioBridgeFactory#BREAKER_CONFIG});</li>
 *   <li>a {@link ServerRequestHandler}, for the requests that workers send to the host. One
 *       handler serves every pool (it is told which pool asks); with several, the {@code @Primary}
 *       one, as for any single dependency, and the start fails when none of them is primary. A
 *       {@link NodeBridgeOptionsCustomizer} may set another handler for some pools;</li>
 *   <li>{@link NodeBridgeOptionsCustomizer}s, applied last, in {@code @Order}.</li>
 * </ul>
 */
@AutoConfiguration(afterName = "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration")
@ConditionalOnBooleanProperty(name = "processio.enabled", matchIfMissing = true)
@EnableConfigurationProperties(ProcessioProperties.class)
@Import(NamedPoolsRegistrar.class)
public final class ProcessioAutoConfiguration {

    /** Lifecycle phase of the bridges: they stop after the web server (its phases are higher). */
    public static final int LIFECYCLE_PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

    @Bean
    @ConditionalOnMissingBean
    ProcessioBridgeFactory processioBridgeFactory(ProcessioProperties properties, Environment environment,
            ResourceLoader resourceLoader, ObjectProvider<JsonMapper> jsonMapper,
            ObjectProvider<CircuitBreakerRegistry> circuitBreakerRegistry,
            ObjectProvider<ServerRequestHandler> serverRequestHandler,
            ObjectProvider<NodeBridgeOptionsCustomizer> customizers) {
        // getIfAvailable: the only bean or the primary one; several without a primary fail the
        // start (NoUniqueBeanDefinitionException names them) rather than leave workers unanswered.
        return new ProcessioBridgeFactory(properties, environment, resourceLoader, jsonMapper.getIfAvailable(),
                circuitBreakerRegistry.getIfAvailable(), serverRequestHandler.getIfAvailable(),
                customizers.orderedStream().toList());
    }

    @Bean(destroyMethod = "close")
    @Primary
    @ConditionalOnMissingBean(name = "nodeBridge")
    @Conditional(OnDefaultPoolCondition.class)
    NodeBridge nodeBridge(ProcessioBridgeFactory factory) {
        return factory.createDefault();
    }

    @Bean
    @ConditionalOnMissingBean
    ProcessioLifecycle processioLifecycle(ObjectProvider<NodeBridge> bridges) {
        return new ProcessioLifecycle(bridges);
    }

    /**
     * Closes every bridge when the context stops, in a phase after the web server's, in
     * parallel so that each gets its whole grace period.
     */
    public static final class ProcessioLifecycle implements SmartLifecycle {

        private final ObjectProvider<NodeBridge> bridges;
        private volatile boolean running;

        ProcessioLifecycle(ObjectProvider<NodeBridge> bridges) {
            this.bridges = bridges;
        }

        @Override
        public void start() {
            running = true;
        }

        @Override
        public void stop() {
            List<Thread> closing = new ArrayList<>();
            bridges.orderedStream().forEach(bridge -> {
                Thread t = new Thread(bridge::close, "processio-" + bridge.name() + "-close");
                t.start();
                closing.add(t);
            });
            for (Thread t : closing) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            running = false;
        }

        @Override
        public boolean isRunning() {
            return running;
        }

        @Override
        public int getPhase() {
            return LIFECYCLE_PHASE;
        }
    }
}
