package dev.processio.autoconfigure.observation;

import dev.processio.autoconfigure.NodeBridgeOptionsCustomizer;
import dev.processio.autoconfigure.ProcessioAutoConfiguration;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.annotation.Order;

/**
 * Makes every call of every pool an Observation {@code processio.call} in the application's
 * {@link ObservationRegistry}; with Micrometer Tracing, a span whose trace context travels to the
 * worker. Spring Boot's {@code management.observations.enable.processio.call=false} turns the
 * observations off, as it does any by name.
 */
@AutoConfiguration(before = ProcessioAutoConfiguration.class,
        afterName = "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration")
@ConditionalOnBooleanProperty(name = "processio.enabled", matchIfMissing = true)
@ConditionalOnClass(ObservationRegistry.class)
@ConditionalOnBean(ObservationRegistry.class)
public final class ProcessioObservationAutoConfiguration {

    @Bean
    @Order(0)
    @ConditionalOnMissingBean(name = "processioObservationCustomizer")
    NodeBridgeOptionsCustomizer processioObservationCustomizer(ObservationRegistry observationRegistry) {
        return (pool, options) -> options.observationRegistry(observationRegistry);
    }
}
