package dev.processio.autoconfigure;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Explains which processio properties are wrong. */
class InvalidProcessioPropertiesFailureAnalyzer extends AbstractFailureAnalyzer<InvalidProcessioPropertiesException> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, InvalidProcessioPropertiesException cause) {
        return new FailureAnalysis("The processio properties of pool '" + cause.pool() + "' are not valid: "
                + cause.getMessage(), "Change the properties named above in your application configuration.", cause);
    }
}
