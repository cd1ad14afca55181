package dev.conclave.api.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.conclave.api.generation.GenerationFailedException;
import dev.conclave.model.serving.TokenEngine;
import dev.conclave.text.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The OpenAI-compatible HTTP API over a {@link TokenEngine}: {@code /v1/chat/completions},
 * {@code /v1/completions}, {@code /v1/models}, {@code /health}, {@code /ready} and {@code /metrics}. Each
 * exchange runs on its own virtual thread, which blocks on its generation's events while the engine batches
 * all requests together.
 */
public final class OpenAiServer implements AutoCloseable {
    private final TokenEngine engine;
    private final Tokenizer tokenizer;
    private final PromptRenderer renderer;
    private HttpServer http;
    private ExecutorService executor;
    private ServerSettings settings;
    private ChatCompletions chat;
    private Completions completions;
    private Semaphore slots;
    private final AtomicLong served = new AtomicLong();
    private volatile boolean ready;

    public OpenAiServer(TokenEngine engine, Tokenizer tokenizer, PromptRenderer renderer) {
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.renderer = renderer;
        HeapAfterGc.watch();
    }

    /** Listens on {@code host} only (port 0 picks a free port); returns this server. */
    public OpenAiServer start(String host, int port, ServerSettings settings) throws IOException {
        if (http != null) {
            throw new IllegalStateException("the server is already started");
        }
        this.settings = settings;
        this.chat = new ChatCompletions(engine, tokenizer, renderer, settings);
        this.completions = new Completions(engine, tokenizer, settings);
        this.slots = new Semaphore(settings.maxConcurrentRequests());
        executor = Executors.newVirtualThreadPerTaskExecutor();
        http = HttpServer.create(new InetSocketAddress(host, port), 0);
        http.setExecutor(executor);
        http.createContext("/", this::serve);
        http.start();
        return this;
    }

    /** From now on {@code /ready} answers 200: the owner has seen the model run a forward pass. */
    public void markReady() {
        ready = true;
    }

    public int port() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        if (http != null) {
            http.stop(0);
            executor.close();
            http = null;
        }
    }

    private void serve(HttpExchange http) {
        Exchange exchange = new Exchange(http);
        try (http) {
            try {
                route(http, exchange);
            } catch (RuntimeException e) {
                ApiException error = switch (e) {
                    case ApiException api -> api;
                    case GenerationFailedException failed ->
                            new ApiException(500, "server_error", failed.getMessage(), null, null);
                    default -> new ApiException(500, "server_error", e.toString(), null, null);
                };
                // Once a stream has begun its status is sent: the error travels as the stream's last event.
                if (exchange.streaming()) {
                    exchange.event(error.body());
                    exchange.endEvents();
                } else {
                    exchange.json(error.status(), error.body());
                }
            }
        } catch (IOException e) {
            // The client went away; its generation is already cancelled and nobody is left to tell.
        }
    }

    private void route(HttpExchange http, Exchange exchange) throws IOException {
        String path = http.getRequestURI().getPath();
        String method = switch (path) {
            case "/health", "/ready", "/metrics", "/v1/models" -> "GET";
            case "/v1/chat/completions", "/v1/completions" -> "POST";
            default -> throw new ApiException(404, "invalid_request_error", "no such endpoint: " + path, null,
                    "not_found");
        };
        if (!http.getRequestMethod().equals(method)) {
            http.getResponseHeaders().set("Allow", method);
            throw new ApiException(405, "invalid_request_error", path + " takes " + method + ", not "
                    + http.getRequestMethod(), null, "method_not_allowed");
        }
        // Probes and scrapers carry no key; they learn nothing about the conversations.
        if (path.startsWith("/v1/")) {
            authorize(http.getRequestHeaders().getFirst("Authorization"));
        }
        switch (path) {
            case "/health" -> exchange.json(200, Json.MAPPER.createObjectNode().put("status", "ok"));
            case "/ready" -> ready(exchange);
            case "/metrics" -> exchange.text(200, "text/plain; version=0.0.4",
                    Metrics.render(settings.maxConcurrentRequests() - slots.availablePermits(), served.get(), engine.stats()));
            case "/v1/models" -> exchange.json(200, models());
            default -> complete(http, exchange, path);
        }
    }

    private void ready(Exchange exchange) throws IOException {
        if (!ready) {
            throw new ApiException(503, "server_error", "the server is not ready: the model has not yet completed a forward pass",
                    null, "not_ready");
        }
        exchange.json(200, Json.MAPPER.createObjectNode().put("status", "ready"));
    }

    /**
     * A completion holds one of the server's slots from reading its body to its last byte out. Refusing at
     * once when none is free keeps latency bounded for the admitted ones and tells the client to back off.
     */
    private void complete(HttpExchange http, Exchange exchange, String path) throws IOException {
        if (!slots.tryAcquire()) {
            http.getResponseHeaders().set("Retry-After", "1");
            throw new ApiException(429, "rate_limit_error", "the server is at its limit of "
                    + settings.maxConcurrentRequests() + " concurrent requests; retry shortly", null, "rate_limit_exceeded");
        }
        try {
            served.incrementAndGet();
            JsonNode body = body(http);
            checkModel(body.get("model"));
            if (path.equals("/v1/chat/completions")) {
                chat.handle(body, exchange);
            } else {
                completions.handle(body, exchange);
            }
        } finally {
            slots.release();
        }
    }

    /** A request may leave the model out; naming another one is a mistake the client should hear about. */
    private void checkModel(JsonNode model) {
        if (model == null || model.isNull()) {
            return;
        }
        if (!model.isTextual() || !model.asText().equals(settings.modelName())) {
            throw new ApiException(404, "invalid_request_error", "The model `" + model.asText()
                    + "` does not exist; this server serves `" + settings.modelName() + "`", "model", "model_not_found");
        }
    }

    /** Compares in constant time, so response timing does not reveal how much of a guessed key was right. */
    private void authorize(String header) {
        if (settings.apiKey().isEmpty()) {
            return;
        }
        byte[] expected = ("Bearer " + settings.apiKey().get()).getBytes(StandardCharsets.UTF_8);
        byte[] given = header == null ? new byte[0] : header.getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(expected, given)) {
            throw new ApiException(401, "invalid_request_error", "missing or invalid API key: send Authorization: Bearer <key>",
                    null, "invalid_api_key");
        }
    }

    private JsonNode models() {
        ObjectNode list = Json.MAPPER.createObjectNode().put("object", "list");
        list.putArray("data").addObject()
                .put("id", settings.modelName())
                .put("object", "model")
                .put("created", Instant.now().getEpochSecond())
                .put("owned_by", "conclave")
                .put("max_model_len", settings.contextLength());
        return list;
    }

    /** Reads at most one byte past the limit, so an oversized body costs the server no more than that. */
    private JsonNode body(HttpExchange http) throws IOException {
        int limit = settings.maxRequestBytes();
        String declared = http.getRequestHeaders().getFirst("Content-Length");
        boolean tooLarge = declared != null && declared.matches("\\d{1,18}") && Long.parseLong(declared) > limit;
        byte[] bytes = new byte[0];
        if (!tooLarge) {
            try (InputStream in = http.getRequestBody()) {
                bytes = in.readNBytes(limit + 1);
            }
            tooLarge = bytes.length > limit;
        }
        if (tooLarge) {
            throw new ApiException(413, "invalid_request_error", "the request body is larger than the server's limit of "
                    + limit + " bytes", null, "request_too_large");
        }
        return Json.parseObject(bytes);
    }
}
