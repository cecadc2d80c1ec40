package dev.processio.autoconfigure.endpoint;

import dev.processio.NodeBridge;
import dev.processio.autoconfigure.ProcessioAutoConfiguration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.ImportRuntimeHints;

/** The {@code processio} Actuator endpoint. */
@AutoConfiguration(after = ProcessioAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "processio.enabled", matchIfMissing = true)
@ConditionalOnClass({NodeBridge.class, ConditionalOnAvailableEndpoint.class})
@ImportRuntimeHints(ProcessioEndpointRuntimeHints.class)
public final class ProcessioEndpointAutoConfiguration {

    @Bean
    @ConditionalOnMissingBean
    @ConditionalOnAvailableEndpoint(ProcessioEndpoint.class)
    ProcessioEndpoint processioEndpoint(ObjectProvider<NodeBridge> bridges) {
        return new ProcessioEndpoint(bridges);
    }
}
