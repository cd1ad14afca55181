package dev.conclave.cli;

import dev.conclave.api.grpc.GrpcServer;
import dev.conclave.api.openai.OpenAiServer;
import dev.conclave.api.openai.ServerSettings;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.model.serving.ContinuousBatchingEngine;
import dev.conclave.text.chat.ChatTemplate;
import dev.conclave.text.tokenizer.Tokenizer;
import java.io.IOException;
import java.util.HashSet;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true,
        header = "Serve a checkpoint over the OpenAI-compatible HTTP API on this JVM.",
        description = {"Serves /v1/chat/completions, /v1/completions, /v1/models, /health, /ready and /metrics, and the",
                "gRPC API (conclave.v1.Conclave: Generate, Chat, Tokenize, ListModels, Abort), with continuous batching.",
                "The checkpoint directory must hold tokenizer.json and a chat template (chat_template.jinja",
                "or tokenizer_config.json). The API key comes from --api-key or $CONCLAVE_API_KEY."})
final class ServeCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8000", description = "Port (default ${DEFAULT-VALUE}; 0 picks a free one).")
    int port;

    @Option(names = "--grpc-port", defaultValue = "50051",
            description = "gRPC port (default ${DEFAULT-VALUE}; 0 picks a free one, -1 turns gRPC off).")
    int grpcPort;

    @Option(names = "--api-key", description = "Require 'Authorization: Bearer KEY' (default: $CONCLAVE_API_KEY, if set).")
    String apiKey;

    @Option(names = "--served-name", description = "Model name reported by /v1/models (default: the directory name).")
    String servedName;

    @Option(names = "--kv-budget-mib", defaultValue = "4096", description = "KV-cache budget (default ${DEFAULT-VALUE} MiB).")
    long kvBudgetMiB;

    @Option(names = "--max-seqs", defaultValue = "32", description = "Sequences per step (default ${DEFAULT-VALUE}).")
    int maxSequences;

    @Option(names = "--prefill-chunk", defaultValue = "256",
            description = "Prompt tokens per step, so decode stays responsive (default ${DEFAULT-VALUE}).")
    int prefillChunk;

    @Option(names = "--mtp", paramLabel = "N", defaultValue = "0",
            description = "Speculative decoding with N chained MTP drafts per step (default 0: off).")
    int mtp;

    @Option(names = "--max-concurrent-requests", defaultValue = "" + ServerSettings.DEFAULT_MAX_CONCURRENT_REQUESTS,
            description = "Completion requests in flight before answering 429 (default ${DEFAULT-VALUE}).")
    int maxConcurrentRequests;

    @Option(names = "--max-request-bytes", defaultValue = "" + ServerSettings.DEFAULT_MAX_REQUEST_BYTES,
            description = "Largest request body accepted, else 413 (default ${DEFAULT-VALUE}).")
    int maxRequestBytes;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /** A running server with everything it owns; {@code grpc} is null when gRPC is off. */
    record Served(ModelOptions.Loaded model, ContinuousBatchingEngine engine, OpenAiServer server, GrpcServer grpc)
            implements AutoCloseable {
        @Override
        public void close() {
            if (grpc != null) {
                grpc.close();
            }
            server.close();
            engine.close();
            model.close();
        }
    }

    /** Starts listening at once (liveness), and reports ready once the model has run a forward pass. */
    Served start() throws IOException, InterruptedException {
        ModelOptions.Loaded loaded = model.load();
        try {
            Tokenizer tokenizer = Tokenizer.load(model.model);
            ChatTemplate template = ChatTemplate.load(model.model);
            ModelConfig c = loaded.pipeline().config();
            var engine = new ContinuousBatchingEngine(loaded.pipeline(),
                    new ContinuousBatchingEngine.Settings(kvBudgetMiB << 20, maxSequences, prefillChunk, mtp));
            String key = ApiKeys.resolve(apiKey);
            var settings = new ServerSettings(servedName != null ? servedName : model.model.getFileName().toString(),
                    c.maxPositionEmbeddings(), new HashSet<>(c.eosTokenIds()), Optional.ofNullable(key))
                    .withLimits(maxConcurrentRequests, maxRequestBytes);
            var server = new OpenAiServer(engine, tokenizer, template::render).start(host, port, settings);
            GrpcServer grpc = null;
            try {
                grpc = grpcPort < 0 ? null : new GrpcServer(engine, tokenizer, template::render).start(host, grpcPort, settings);
                FirstForwardPass.run(engine);
            } catch (InterruptedException | RuntimeException e) {
                if (grpc != null) {
                    grpc.close();
                }
                server.close();
                engine.close();
                throw e;
            }
            server.markReady();
            return new Served(loaded, engine, server, grpc);
        } catch (IOException | InterruptedException | RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    @Override
    public Integer call() throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        try (Served served = start()) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "conclave-serve-shutdown"));
            spec.commandLine().getErr().println("conclave: serving " + model.model + " on http://" + host + ":"
                    + served.server().port() + "/v1" + (served.grpc() == null ? "" : " and gRPC " + host + ":" + served.grpc().port()));
            spec.commandLine().getErr().flush();
            stop.await();
        }
        return 0;
    }
}
