package dev.processio.autoconfigure.observation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.NodeBridge;
import dev.processio.autoconfigure.ProcessioAutoConfiguration;
import dev.processio.testing.NoLeaks;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** {@link ProcessioObservationAutoConfiguration}: the application's registry observes every call. */
@ExtendWith(NoLeaks.class)
class ProcessioObservationAutoConfigurationTests {

    private static final String MODULE = "processio.node.module=classpath:js/handlers.mjs";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProcessioAutoConfiguration.class,
                    ProcessioObservationAutoConfiguration.class));

    @Test
    void callsAreObservedInTheApplicationsRegistry() {
        List<String> observed = new CopyOnWriteArrayList<>();
        ObservationRegistry registry = ObservationRegistry.create();
        registry.observationConfig().observationHandler(new ObservationHandler<>() {
            @Override
            public boolean supportsContext(Observation.Context context) {
                return true;
            }

            @Override
            public void onStop(Observation.Context context) {
                observed.add(context.getName() + " " + context.getLowCardinalityKeyValue("outcome").getValue());
            }
        });
        runner.withBean(ObservationRegistry.class, () -> registry).withPropertyValues(MODULE).run(context -> {
            NodeBridge bridge = context.getBean(NodeBridge.class);
            assertThat(bridge.call("add", java.util.Map.of("a", 2, "b", 3), Integer.class)).isEqualTo(5);
            assertThat(observed).containsExactly("processio.call success");
        });
    }

    @Test
    void withoutARegistryOrWithoutMicrometerNothingIsObserved() {
        runner.withPropertyValues(MODULE).run(context -> assertThat(context)
                .hasNotFailed().doesNotHaveBean("processioObservationCustomizer"));
        runner.withClassLoader(new FilteredClassLoader(ObservationRegistry.class)).withPropertyValues(MODULE)
                .run(context -> assertThat(context).hasNotFailed()
                        .doesNotHaveBean("processioObservationCustomizer"));
    }
}
