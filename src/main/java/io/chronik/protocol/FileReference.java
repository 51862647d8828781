package io.chronik.protocol;

/**
 * A reference that keeps an open file (a segment's channel) readable while records are sent from it. Exactly one
 * owner gives it back: the file region after sending, or whoever drops a response that will never be sent.
 */
public interface FileReference {
    /** Moves the reference to the file region that sends the bytes; null when it was already released. */
    FileReference transfer();

    /** Gives the reference back; later calls do nothing. */
    void release();
}
