package dev.processio.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.processio.BridgeStartupException;
import dev.processio.BridgeStartupException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;
import org.springframework.mock.env.MockEnvironment;

/**
 * What {@link ProcessioFailureAnalyzer} tells the user to change: the keys of the runtime the pool
 * runs, with the pool's prefix, and the start-up step that failed. The exceptions are made here as
 * the engine makes them.
 */
@ExtendWith(OutputCaptureExtension.class)
class ProcessioFailureAnalyzerTests {

    // ---- start-up steps --------------------------------------------------------------------------

    @Test
    void aFailedInitCallIsNamedWithItsKey() {
        FailureAnalysis analysis = analyze(environment("processio.node.module=x.mjs",
                        "processio.pools.fs.worker.command=fs-server", "processio.pools.fs.worker.dialect=json-rpc"),
                initFailed("fs", "init-calls[0] (auth/login)", "fs: init-calls[0] (auth/login) answered with error"
                        + " -32602: missing token"));
        assertThat(analysis.getDescription()).contains("pool 'fs'").contains("missing token");
        assertThat(analysis.getAction())
                .startsWith("The start-up step init-calls[0] (auth/login) failed.")
                .contains("Fix processio.pools.fs.worker.init-calls[0] (its method, and params or params-json)");
    }

    @Test
    void aLimitThatCannotBeAppliedPointsAtTheLimitsKeysOfItsPool() {
        FailureAnalysis analysis = analyze(environment("processio.node.module=x.mjs",
                        "processio.pools.render.worker.limits.cpu-time=5s"),
                new BridgeStartupException("render", BridgeStartupException.Reason.LIMITS_UNAVAILABLE,
                        "cannot apply worker limits: processio.worker.limits.cpu-time is applied with prlimit", null, "",
                        null));
        assertThat(analysis.getDescription()).contains("pool 'render'").contains("prlimit");
        assertThat(analysis.getAction()).contains("processio.pools.render.worker.limits.*")
                .contains("prlimit (util-linux) on the PATH");
    }

    @Test
    void aFailedInitNotificationOfTheDefaultPoolIsNamedWithItsKey() {
        FailureAnalysis analysis = analyze(environment("processio.worker.command=server"),
                initFailed("default", "init-notifications[1] (ready)", "default: could not send ready"));
        assertThat(analysis.getAction()).contains("Fix processio.worker.init-notifications[1]");
    }

    @Test
    void aFailedMcpInitializeNamesTheDialectAndTheProtocolVersion() {
        FailureAnalysis analysis = analyze(environment("processio.pools.assistant.worker.command=npx,server",
                        "processio.pools.assistant.worker.dialect=mcp"),
                initFailed("assistant", "mcp initialize", "assistant: initialize answered with error -32602"));
        assertThat(analysis.getAction())
                .startsWith("The start-up step mcp initialize failed.")
                .contains("processio.pools.assistant.worker.dialect")
                .contains("processio.pools.assistant.worker.mcp.protocol-version");
    }

    @Test
    void anInitFailureWithoutAStepPointsAtTheInitCallsAndTheDialect() {
        FailureAnalysis analysis = analyze(environment("processio.worker.command=server"),
                initFailed("default", null, "default: start-up failed"));
        assertThat(analysis.getAction()).contains("processio.worker.init-calls").contains("processio.worker.dialect");
    }

    @Test
    void aTimeoutNamesTheStartupTimeoutAndWhyNpxIsSlow() {
        FailureAnalysis processio = analyze(environment("processio.node.module=x.mjs"),
                failure("default", Reason.READY_TIMEOUT, null));
        assertThat(processio.getAction()).contains("sends processio/ready")
                .contains("raise processio.worker.startup-timeout").contains("npx");

        FailureAnalysis mcp = analyze(environment("processio.pools.assistant.worker.command=npx,-y,server",
                        "processio.pools.assistant.worker.dialect=mcp"),
                failure("assistant", Reason.READY_TIMEOUT, "mcp initialize"));
        assertThat(mcp.getAction()).startsWith("The worker did not finish the start-up step mcp initialize in time.")
                .contains("raise processio.pools.assistant.worker.startup-timeout")
                .contains("npx")
                .doesNotContain("processio/ready");
    }

    // ---- keys of the runtime the pool runs ------------------------------------------------------

    @Test
    void aPythonPoolIsToldAboutItsPythonKeys() {
        MockEnvironment environment = environment("processio.node.module=x.mjs",
                "processio.pools.scripts.python.module=classpath:py/handlers.py");
        assertThat(analyze(environment, failure("scripts", Reason.COMMAND_NOT_FOUND, null)).getAction())
                .contains("Install Python 3").contains("processio.pools.scripts.python.executable")
                .doesNotContain("node");
        assertThat(analyze(environment, failure("scripts", Reason.NOT_EXECUTABLE, null)).getAction())
                .contains("processio.pools.scripts.python.executable").doesNotContain("node");
        assertThat(analyze(environment, failure("scripts", Reason.MODULE_NOT_FOUND, null)).getAction())
                .contains("Set processio.pools.scripts.python.module").contains("classpath:py/handlers.py");
        assertThat(analyze(environment, failure("scripts", Reason.MODULE_LOAD_FAILED, null)).getAction())
                .contains("processio.pools.scripts.python.module");
        assertThat(analyze(environment, failure("scripts", Reason.EXITED_BEFORE_READY, null)).getAction())
                .contains("processio.pools.scripts.python.module");
        // The default pool beside it runs Node.
        assertThat(analyze(environment, failure("default", Reason.COMMAND_NOT_FOUND, null)).getAction())
                .contains("Install Node.js").contains("processio.node.executable");
        assertThat(analyze(environment, failure("default", Reason.MODULE_NOT_FOUND, null)).getAction())
                .contains("Set processio.node.module");
    }

    @Test
    void aPoolThatInheritsAPythonModuleIsAPythonPool() {
        MockEnvironment environment = environment("processio.python.module=handlers.py",
                "processio.pools.batch.pool.max-workers=2");
        assertThat(analyze(environment, failure("batch", Reason.COMMAND_NOT_FOUND, null)).getAction())
                .contains("processio.pools.batch.python.executable");
    }

    @Test
    void aCommandPoolIsToldAboutItsCommand() {
        MockEnvironment environment = environment("processio.node.module=x.mjs",
                "processio.pools.fs.worker.command=npx,-y,@acme/fs-server", "processio.pools.fs.worker.dialect=mcp");
        assertThat(analyze(environment, failure("fs", Reason.COMMAND_NOT_FOUND, null)).getAction())
                .contains("processio.pools.fs.worker.command").contains("PATH").doesNotContain("node.executable");
        assertThat(analyze(environment, failure("fs", Reason.NOT_EXECUTABLE, null)).getAction())
                .contains("processio.pools.fs.worker.command").doesNotContain("node.executable");
        assertThat(analyze(environment, failure("fs", Reason.EXITED_BEFORE_READY, null)).getAction())
                .contains("processio.pools.fs.worker.command").contains("stdio");
    }

    @Test
    void withoutTheEnvironmentEveryRuntimesKeysAreNamed() {
        ProcessioFailureAnalyzer analyzer = new ProcessioFailureAnalyzer(null);
        FailureAnalysis analysis = analyzer.analyze(failure("default", Reason.COMMAND_NOT_FOUND, null));
        assertThat(analysis.getAction()).contains("processio.node.executable")
                .contains("processio.python.executable").contains("processio.worker.command");
    }

    // ---- as Spring Boot reports a failed start --------------------------------------------------

    @Test
    void springBootGivesTheAnalyzerTheEnvironmentOfTheFailedApplication(CapturedOutput output) {
        SpringApplicationBuilder application = new SpringApplicationBuilder(ProcessioOnly.class)
                .web(WebApplicationType.NONE)
                .properties("spring.main.banner-mode=off",
                        "processio.pools.scripts.python.module=classpath:py/missing.py");
        assertThatThrownBy(application::run).hasRootCauseInstanceOf(BridgeStartupException.class);
        assertThat(output).contains("APPLICATION FAILED TO START")
                .contains("The processio pool 'scripts' could not start its workers.")
                .contains("Set processio.pools.scripts.python.module to an existing file");
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration(ProcessioAutoConfiguration.class)
    static class ProcessioOnly {
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private static FailureAnalysis analyze(MockEnvironment environment, BridgeStartupException failure) {
        FailureAnalysis analysis = new ProcessioFailureAnalyzer(environment).analyze(failure);
        assertThat(analysis).isNotNull();
        return analysis;
    }

    private static BridgeStartupException initFailed(String pool, String step, String message) {
        return new BridgeStartupException(pool, Reason.INIT_FAILED, message, step, null, "", null);
    }

    private static BridgeStartupException failure(String pool, Reason reason, String step) {
        return new BridgeStartupException(pool, reason, pool + ": " + reason, step, null, "", null);
    }

    private static MockEnvironment environment(String... properties) {
        MockEnvironment environment = new MockEnvironment();
        for (String property : properties) {
            String[] keyAndValue = property.split("=", 2);
            environment.setProperty(keyAndValue[0], keyAndValue[1]);
        }
        return environment;
    }
}
