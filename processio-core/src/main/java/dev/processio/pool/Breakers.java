package dev.processio.pool;

import dev.processio.NodeBridgeOptions;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;

/**
 * The slots' circuit breakers, one per slot, named {@code <pool>-worker-<slot>}, from the
 * application's registry when it gives one (so that {@code resilience4j.circuitbreaker.*} settings
 * apply) or from a registry of the pool's own.
 */
final class Breakers {

    private final String pool;
    private final CircuitBreakerRegistry registry;
    private final CircuitBreakerConfig config;

    Breakers(NodeBridgeOptions options) {
        this.pool = options.name();
        this.registry = options.circuitBreakerRegistry() != null ? options.circuitBreakerRegistry()
                : CircuitBreakerRegistry.ofDefaults();
        this.config = config(options);
    }

    private static CircuitBreakerConfig config(NodeBridgeOptions options) {
        if (options.circuitBreakerRegistry() != null && options.circuitBreakerConfigName() != null) {
            var named = options.circuitBreakerRegistry().getConfiguration(options.circuitBreakerConfigName());
            if (named.isPresent()) {
                // The application's own tuning; only the transition to half-open stays ours.
                return CircuitBreakerConfig.from(named.get()).automaticTransitionFromOpenToHalfOpenEnabled(false)
                        .build();
            }
        }
        return CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(options.slidingWindowSize())
                .minimumNumberOfCalls(options.minimumNumberOfCalls())
                .failureRateThreshold(options.failureRateThreshold())
                .permittedNumberOfCallsInHalfOpenState(options.permittedCallsInHalfOpenState())
                .waitIntervalFunctionInOpenState(IntervalFunction.ofExponentialBackoff(options.waitDuration(),
                        options.backoffMultiplier(), options.maxWaitDuration()))
                // The respawn moves the breaker to half-open itself, once its replacement starts.
                .automaticTransitionFromOpenToHalfOpenEnabled(false)
                // A long call is not a sick worker; only explicit failures count.
                .slowCallDurationThreshold(Duration.ofDays(365))
                .build();
    }

    /** A fresh breaker for a slot; one left by an earlier pool of the same name would carry its state over. */
    CircuitBreaker create(int slot) {
        String name = pool + "-worker-" + slot;
        registry.remove(name);
        return registry.circuitBreaker(name, config);
    }

    /** Removes the breaker from the registry, at close. */
    void remove(CircuitBreaker breaker) {
        registry.remove(breaker.getName());
    }
}
