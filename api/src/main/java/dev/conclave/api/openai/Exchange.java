package dev.conclave.api.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Writing responses on an {@link HttpExchange}: whole JSON bodies, or a Server-Sent Events stream. */
final class Exchange {
    private final HttpExchange http;
    private OutputStream events;

    Exchange(HttpExchange http) {
        this.http = http;
    }

    void json(int status, JsonNode body) throws IOException {
        byte[] bytes = Json.bytes(body);
        http.getResponseHeaders().set("Content-Type", "application/json");
        http.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = http.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** A plain-text body, as Prometheus scrapes it. */
    void text(int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        http.getResponseHeaders().set("Content-Type", contentType);
        http.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = http.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Whether an event stream has begun: from then on the status is sent and errors travel as events. */
    boolean streaming() {
        return events != null;
    }

    void startEvents() throws IOException {
        http.getResponseHeaders().set("Content-Type", "text/event-stream");
        http.getResponseHeaders().set("Cache-Control", "no-cache");
        http.sendResponseHeaders(200, 0);
        events = http.getResponseBody();
    }

    /** One {@code data:} event, flushed at once so the client sees each token as it is made. */
    void event(String data) throws IOException {
        events.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
        events.flush();
    }

    void event(JsonNode data) throws IOException {
        event(new String(Json.bytes(data), StandardCharsets.UTF_8));
    }

    void endEvents() throws IOException {
        event("[DONE]");
        events.close();
    }
}
