package dev.conclave.api.grpc;

import dev.conclave.api.openai.PromptRenderer;
import dev.conclave.api.openai.ServerSettings;
import dev.conclave.model.serving.TokenEngine;
import dev.conclave.text.tokenizer.Tokenizer;
import dev.conclave.api.grpc.v1.ConclaveGrpc;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC API ({@code conclave.v1.Conclave}) beside standard health checking and server reflection, on the
 * given host only, with the same engine, tokenizer, chat template and settings as the HTTP API.
 */
public final class GrpcServer implements AutoCloseable {
    private final TokenEngine engine;
    private final Tokenizer tokenizer;
    private final PromptRenderer renderer;
    // Handlers only validate and submit; generation runs on virtual threads of its own.
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HealthStatusManager health = new HealthStatusManager();
    private Server server;

    public GrpcServer(TokenEngine engine, Tokenizer tokenizer, PromptRenderer renderer) {
        this.engine = engine;
        this.tokenizer = tokenizer;
        this.renderer = renderer;
    }

    public GrpcServer start(String host, int port, ServerSettings settings) {
        ServerServiceDefinition conclave = new ConclaveService(engine, tokenizer, renderer, settings).bindService();
        BindableService reflection = ProtoReflectionServiceV1.newInstance();
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
                .executor(executor)
                .addService(health.getHealthService());
        if (settings.apiKey().isPresent()) {
            ApiKeyInterceptor keys = new ApiKeyInterceptor(settings.apiKey().get());
            builder.addService(ServerInterceptors.intercept(conclave, keys))
                    .addService(ServerInterceptors.intercept(reflection, keys));
        } else {
            builder.addService(conclave).addService(reflection);
        }
        try {
            server = builder.build().start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve gRPC on " + host + ":" + port, e);
        }
        health.setStatus("", ServingStatus.SERVING);
        health.setStatus(ConclaveGrpc.SERVICE_NAME, ServingStatus.SERVING);
        return this;
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        if (server != null) {
            health.enterTerminalState();
            server.shutdownNow();
            try {
                server.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            executor.close();
            server = null;
        }
    }
}
