package dev.processio.protocol;

/** A stdout line that looks like a protocol message but is not a valid one. Checked: the reader must decide. */
public final class MalformedFrameException extends Exception {

    private final String kind;

    public MalformedFrameException(String kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    /** A short, stable name for metrics: {@code invalid_json}, {@code invalid_message}. */
    public String kind() {
        return kind;
    }
}
