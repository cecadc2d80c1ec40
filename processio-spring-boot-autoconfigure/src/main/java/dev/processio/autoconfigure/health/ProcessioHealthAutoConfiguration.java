package dev.processio.autoconfigure.health;

import dev.processio.NodeBridge;
import dev.processio.autoconfigure.ProcessioAutoConfiguration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code processio} health contributor: one pool's health, or one entry per pool when there
 * are several.
 */
@AutoConfiguration(after = ProcessioAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "processio.enabled", matchIfMissing = true)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(NodeBridge.class)
public final class ProcessioHealthAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean(name = "processioHealthContributor")
    @ConditionalOnEnabledHealthIndicator("processio")
    HealthContributor processioHealthContributor(ObjectProvider<NodeBridge> bridges) {
        Map<String, HealthIndicator> byPool = new LinkedHashMap<>();
        bridges.orderedStream().forEach(bridge -> byPool.put(bridge.name(), new ProcessioHealthIndicator(bridge)));
        if (byPool.size() == 1) {
            return byPool.values().iterator().next();
        }
        return CompositeHealthContributor.fromMap(byPool);
    }
}
