package dev.processio.demo;

import org.springframework.http.HttpStatus;

/** A request the demo refuses before calling a worker; answered as a problem detail. */
final class InputRejectedException extends RuntimeException {

    private final HttpStatus status;
    private final String title;

    InputRejectedException(HttpStatus status, String title, String detail) {
        super(detail);
        this.status = status;
        this.title = title;
    }

    HttpStatus status() {
        return status;
    }

    String title() {
        return title;
    }
}
