package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.processio.autoconfigure.endpoint.ProcessioEndpoint;
import dev.processio.autoconfigure.endpoint.ProcessioEndpointAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.aot.generate.ClassNameGenerator;
import org.springframework.aot.generate.DefaultGenerationContext;
import org.springframework.aot.generate.InMemoryGeneratedFiles;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.beans.factory.aot.AotServices;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotProcessor;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.aot.ApplicationContextAotGenerator;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.javapoet.ClassName;
import org.springframework.mock.env.MockEnvironment;

/**
 * The hints a native image needs: checked on the registrars, and on a context processed ahead of
 * time the way {@code spring-boot:process-aot} does it, which also shows that every bean processio
 * defines, named pools included, can be written as code.
 */
class ProcessioRuntimeHintsTests {

    private static final String NODE_RUNTIME = "dev/processio/runtime/node/processio-worker.mjs";
    private static final String PYTHON_RUNTIME = "dev/processio/runtime/python/processio_worker.py";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ProcessioAutoConfiguration.class,
                    ProcessioEndpointAutoConfiguration.class));

    @Test
    void theBundledRuntimesAreResources() {
        RuntimeHints hints = new RuntimeHints();
        new ProcessioRuntimeHints().registerHints(hints, getClass().getClassLoader());

        for (String runtime : new String[] {NODE_RUNTIME, PYTHON_RUNTIME}) {
            // The pattern must follow processio-core's layout: the runtime is where the hint says.
            assertThat(getClass().getClassLoader().getResource(runtime)).as(runtime).isNotNull();
            assertThat(RuntimeHintsPredicates.resource().forResource(runtime)).as(runtime).accepts(hints);
        }
    }

    @Test
    void thePropertiesCanBeBoundByReflection() {
        RuntimeHints hints = new RuntimeHints();
        new ProcessioRuntimeHints().registerHints(hints, getClass().getClassLoader());

        assertThat(RuntimeHintsPredicates.reflection().onType(ProcessioProperties.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(PoolProperties.class)).accepts(hints);
        // The nested groups that the manual Binder calls reach too.
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(PoolProperties.class, "getPool"))
                .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(PoolProperties.Pool.class, "setMaxWorkers"))
                .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(PoolProperties.Node.class, "setModule"))
                .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(PoolProperties.Python.class, "setModule"))
                .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(PoolProperties.Dev.class, "setWatch"))
                .accepts(hints);
    }

    @Test
    void bothAreListedInAotFactories() {
        assertThat(AotServices.factories().load(RuntimeHintsRegistrar.class))
                .hasAtLeastOneElementOfType(ProcessioRuntimeHints.class);
        assertThat(AotServices.factories().load(BeanFactoryInitializationAotProcessor.class))
                .hasAtLeastOneElementOfType(ProcessioModulesAotProcessor.class);
    }

    @Test
    void aClasspathModuleIsItsDirectoryWithEverythingUnderIt() {
        assertThat(ClasspathModules.resourcePattern("classpath:js/handlers.mjs")).isEqualTo("js/**");
        assertThat(ClasspathModules.resourcePattern("classpath:/js/lib/greeting.mjs")).isEqualTo("js/lib/**");
        assertThat(ClasspathModules.resourcePattern("classpath:handlers.mjs")).isEqualTo("handlers.mjs");
        assertThat(ClasspathModules.resourcePattern("/srv/app/handlers.mjs")).isNull();
    }

    @Test
    void everyClasspathModuleThatTheEnvironmentNamesIsAResource() {
        MockEnvironment environment = new MockEnvironment()
                .withProperty("processio.node.module", "classpath:js/handlers.mjs")
                .withProperty("processio.pools.py.python.module", "classpath:py/handlers.py")
                .withProperty("processio.pools.local.node.module", "/srv/app/handlers.mjs")
                .withProperty("processio.pools.tools.worker.command", "node,tools.mjs");

        assertThat(ProcessioModulesAotProcessor.resourcePatterns(environment)).containsExactly("js/**", "py/**");
        assertThat(ProcessioModulesAotProcessor.resourcePatterns(
                environment.withProperty("processio.enabled", "false"))).isEmpty();
    }

    @Test
    void theEndpointAnswersCanBeWrittenByReflection() {
        RuntimeHints hints = processedAheadOfTime(runner);

        for (Class<?> type : new Class<?>[] {ProcessioEndpoint.PoolsDescriptor.class,
                ProcessioEndpoint.PoolDescriptor.class, ProcessioEndpoint.WorkerDescriptor.class,
                ProcessioEndpoint.ServerDescriptor.class, ProcessioEndpoint.DevWatchDescriptor.class,
                ProcessioEndpoint.ActionResult.class}) {
            assertThat(RuntimeHintsPredicates.reflection().onType(type)).as(type.getName()).accepts(hints);
        }
        assertThat(RuntimeHintsPredicates.reflection()
                .onMethodInvocation(ProcessioEndpoint.WorkerDescriptor.class, "server")).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection()
                .onMethodInvocation(ProcessioEndpoint.ServerDescriptor.class, "capabilities")).accepts(hints);
    }

    @Test
    void aContextWithNamedPoolsIsProcessedAheadOfTime() {
        RuntimeHints hints = processedAheadOfTime(runner.withPropertyValues(
                "processio.node.module=classpath:js/handlers.mjs",
                "processio.pools.py.python.module=classpath:py/handlers.py"));

        assertThat(RuntimeHintsPredicates.resource().forResource(NODE_RUNTIME)).accepts(hints);
        assertThat(RuntimeHintsPredicates.resource().forResource(PYTHON_RUNTIME)).accepts(hints);
        assertThat(RuntimeHintsPredicates.resource().forResource("js/handlers.mjs")).accepts(hints);
        assertThat(RuntimeHintsPredicates.resource().forResource("js/lib/greeting.mjs")).accepts(hints);
        assertThat(RuntimeHintsPredicates.resource().forResource("py/handlers.py")).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(PoolProperties.Quarantine.class)).accepts(hints);
    }

    /** What {@code process-aot} would write for the runner's context; no bean is created, no worker started. */
    private static RuntimeHints processedAheadOfTime(ApplicationContextRunner runner) {
        DefaultGenerationContext generation = new DefaultGenerationContext(
                new ClassNameGenerator(ClassName.get("dev.processio.autoconfigure", "AotTest")),
                new InMemoryGeneratedFiles());
        runner.prepare(context -> new ApplicationContextAotGenerator()
                .processAheadOfTime((GenericApplicationContext) context.getSourceApplicationContext(), generation));
        return generation.getRuntimeHints();
    }
}
