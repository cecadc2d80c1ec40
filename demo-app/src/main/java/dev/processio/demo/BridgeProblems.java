package dev.processio.demo;

import dev.processio.BridgeDisposedException;
import dev.processio.BridgeException;
import dev.processio.BridgeProtocolException;
import dev.processio.BridgeRejectedException;
import dev.processio.BridgeTimeoutException;
import dev.processio.BridgeUnavailableException;
import dev.processio.RemoteExecutionException;
import dev.processio.WorkerLostException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Answers bridge failures as RFC 9457 problem details, each with the HTTP status a client can act
 * on and a {@code code} property that names the failure: 504 the call timed out, 503 no worker can
 * take calls, 429 the pool's queues are full, 502 the worker died holding the call, or a tool of
 * the docs pool's MCP server failed. The {@code pool} property says which pool it was.
 */
@RestControllerAdvice
class BridgeProblems {

    private static final Logger log = LoggerFactory.getLogger(BridgeProblems.class);

    @ExceptionHandler
    ResponseEntity<ProblemDetail> timeout(BridgeTimeoutException e) {
        return problem(HttpStatus.GATEWAY_TIMEOUT, "worker-timeout", "Worker timed out", e);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> unavailable(BridgeUnavailableException e) {
        return problem(HttpStatus.SERVICE_UNAVAILABLE, "pool-unavailable", "No worker available", e);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> disposed(BridgeDisposedException e) {
        return problem(HttpStatus.SERVICE_UNAVAILABLE, "pool-closed", "Pool shutting down", e);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> rejected(BridgeRejectedException e) {
        return problem(HttpStatus.TOO_MANY_REQUESTS, "pool-busy", "Pool busy", e);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> workerLost(WorkerLostException e) {
        ResponseEntity<ProblemDetail> response = problem(HttpStatus.BAD_GATEWAY, "worker-lost", "Worker lost", e);
        if (e.pid() > 0) {
            response.getBody().setProperty("worker", e.pid());
        }
        return response;
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> protocol(BridgeProtocolException e) {
        return problem(HttpStatus.BAD_GATEWAY, "worker-protocol", "Worker broke the protocol", e);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> remote(RemoteExecutionException e) {
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, "render-failed", "Render failed", e);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> other(BridgeException e) {
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, "bridge-error", "Bridge error", e);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> tool(ToolFailedException e) {
        log.warn("Tool failed (502): {}", e.getMessage());
        ProblemDetail body = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_GATEWAY, e.getMessage());
        body.setTitle("Tool failed");
        body.setProperty("code", "tool-failed");
        body.setProperty("pool", e.pool());
        body.setProperty("tool", e.tool());
        return ResponseEntity.status(HttpStatus.BAD_GATEWAY).body(body);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> input(InputRejectedException e) {
        ProblemDetail body = ProblemDetail.forStatusAndDetail(e.status(), e.getMessage());
        body.setTitle(e.title());
        return ResponseEntity.status(e.status()).body(body);
    }

    private static ResponseEntity<ProblemDetail> problem(HttpStatus status, String code, String title,
            BridgeException e) {
        log.warn("{} ({}): {}", title, status.value(), e.getMessage());
        ProblemDetail body = ProblemDetail.forStatusAndDetail(status, e.getMessage());
        body.setTitle(title);
        body.setProperty("code", code);
        body.setProperty("pool", e.pool());
        return ResponseEntity.status(status).body(body);
    }
}
