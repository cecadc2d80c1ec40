package dev.processio.autoconfigure.metrics;

import dev.processio.autoconfigure.NodeBridgeOptionsCustomizer;
import dev.processio.autoconfigure.ProcessioAutoConfiguration;
import dev.processio.metrics.MicrometerMetricsTracker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

/**
 * Publishes every pool's metrics to the application's {@link MeterRegistry}, and the Resilience4j
 * metrics of the slot breakers when the breakers are processio's own (an application registry
 * binds its breakers' metrics itself).
 */
@AutoConfiguration(before = ProcessioAutoConfiguration.class,
        afterName = "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration")
@ConditionalOnBooleanProperty(name = "processio.enabled", matchIfMissing = true)
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean(MeterRegistry.class)
public final class ProcessioMetricsAutoConfiguration {

    @Bean
    @Order(0)
    @ConditionalOnMissingBean(name = "processioMetricsCustomizer")
    NodeBridgeOptionsCustomizer processioMetricsCustomizer(MeterRegistry meterRegistry) {
        return (pool, options) -> options.metricsTrackerFactory(MicrometerMetricsTracker.factory(meterRegistry));
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(TaggedCircuitBreakerMetrics.class)
    static class BreakerMetricsConfiguration {

        @Bean
        @Order(1)
        @ConditionalOnMissingBean(name = "processioBreakerMetricsCustomizer")
        NodeBridgeOptionsCustomizer processioBreakerMetricsCustomizer(MeterRegistry meterRegistry,
                ObjectProvider<CircuitBreakerRegistry> applicationRegistry) {
            return (pool, options) -> {
                if (applicationRegistry.getIfAvailable() == null) {
                    CircuitBreakerRegistry own = CircuitBreakerRegistry.ofDefaults();
                    TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(own).bindTo(meterRegistry);
                    options.circuitBreakerRegistry(own);
                }
            };
        }
    }
}
