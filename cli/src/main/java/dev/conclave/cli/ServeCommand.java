package dev.conclave.cli;

import dev.conclave.api.grpc.GrpcServer;
import dev.conclave.api.openai.OpenAiServer;
import dev.conclave.api.openai.ServerSettings;
import dev.conclave.actors.ClusterClient;
import dev.conclave.actors.ClusterStepPipeline;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.config.ConfigLoader;
import dev.conclave.core.config.ModelConfig;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.serving.ContinuousBatchingEngine;
import dev.conclave.model.serving.TokenEngine;
import dev.conclave.text.chat.ChatTemplate;
import dev.conclave.text.tokenizer.Tokenizer;
import dev.conclave.placement.Placement;
import dev.conclave.placement.PlacementLoader;
import dev.conclave.placement.PlacementValidator;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true,
        header = "Serve a checkpoint over the OpenAI-compatible HTTP API, on this JVM or through a cluster.",
        description = {"Serves /v1/chat/completions, /v1/completions, /v1/models, /health, /ready and /metrics, and the",
                "gRPC API (conclave.v1.Conclave: Generate, Chat, Tokenize, ListModels, Abort), with continuous batching.",
                "The checkpoint directory must hold tokenizer.json and a chat template (chat_template.jinja",
                "or tokenizer_config.json). The API key comes from --api-key or $CONCLAVE_API_KEY. With --cluster the model",
                "runs on that running cluster (its head node's orchestrator steps each continuous batch)."})
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

    @Option(names = "--cluster", paramLabel = "FILE",
            description = "Serve through the running cluster of this placement (HOCON); --model then gives only the tokenizer, chat template and config.json.")
    Path cluster;

    @Option(names = "--timeout", defaultValue = "60s", description = "With --cluster: longest wait for one step (default ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--max-request-bytes", defaultValue = "" + ServerSettings.DEFAULT_MAX_REQUEST_BYTES,
            description = "Largest request body accepted, else 413 (default ${DEFAULT-VALUE}).")
    int maxRequestBytes;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    /**
     * A running server with everything it owns; {@code backend} is what runs the model (the loaded checkpoint,
     * or the client of the cluster), {@code grpc} is null when gRPC is off.
     */
    record Served(AutoCloseable backend, TokenEngine engine, OpenAiServer server, GrpcServer grpc) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            if (grpc != null) {
                grpc.close();
            }
            server.close();
            engine.close();
            backend.close();
        }
    }

    /** Starts listening at once (liveness), and reports ready once the model has run a forward pass. */
    Served start() throws IOException, InterruptedException {
        if (cluster == null) {
            return start(pipeline -> new ContinuousBatchingEngine(pipeline, engineSettings()));
        }
        if (model.model == null) {
            throw new IllegalArgumentException("--cluster needs --model DIR too: its tokenizer, chat template and config.json");
        }
        ModelConfig c = ConfigLoader.load(model.model.resolve(Checkpoint.CONFIG_FILE));
        Placement placement = PlacementLoader.load(cluster);
        if (mtp > 0) {
            requireMtpLayer(placement, c);
        }
        Duration stepTimeout = Durations.parse(timeout, "--timeout");
        ClusterClient client = ClusterClient.connect(placement);
        try {
            return serve(client, c, new ContinuousBatchingEngine(new ClusterStepPipeline(client, c, stepTimeout), engineSettings()));
        } catch (IOException | InterruptedException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /**
     * Speculative decoding through a cluster needs the MTP layer's attention and experts hosted there. A
     * placement that fits the model hosts every layer it has (the validator says what else is wrong), so
     * the MTP layer is missing exactly when the model has none.
     */
    private void requireMtpLayer(Placement placement, ModelConfig c) {
        PlacementValidator.validate(placement, c);
        if (!c.hasMtp()) {
            throw new IllegalArgumentException("--mtp " + mtp + " drafts with the MTP layer (layer mtp, index "
                    + c.mtpLayerIndex() + "), which the placement " + cluster + " does not host: "
                    + model.model.resolve(Checkpoint.CONFIG_FILE) + " has num_nextn_predict_layers 0");
        }
    }

    /** {@link #start()} on this JVM with another engine over the loaded pipeline (tests script the model's tokens). */
    Served start(Function<InProcessPipeline, TokenEngine> engines) throws IOException, InterruptedException {
        ModelOptions.Loaded loaded = model.load();
        try {
            return serve(loaded, loaded.pipeline().config(), engines.apply(loaded.pipeline()));
        } catch (IOException | InterruptedException | RuntimeException e) {
            loaded.close();
            throw e;
        }
    }

    private ContinuousBatchingEngine.Settings engineSettings() {
        return new ContinuousBatchingEngine.Settings(kvBudgetMiB << 20, maxSequences, prefillChunk, mtp);
    }

    private Served serve(AutoCloseable backend, ModelConfig c, TokenEngine engine) throws IOException, InterruptedException {
        try {
            Tokenizer tokenizer = Tokenizer.load(model.model);
            ChatTemplate template = ChatTemplate.load(model.model);
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
                throw e;
            }
            server.markReady();
            return new Served(backend, engine, server, grpc);
        } catch (IOException | InterruptedException | RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    @Override
    public Integer call() throws Exception {
        CountDownLatch stop = new CountDownLatch(1);
        try (Served served = start()) {
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown, "conclave-serve-shutdown"));
            spec.commandLine().getErr().println("conclave: serving " + model.model + (cluster == null ? "" : " through the cluster of " + cluster)
                    + " on http://" + host + ":" + served.server().port() + "/v1"
                    + (served.grpc() == null ? "" : " and gRPC " + host + ":" + served.grpc().port()));
            spec.commandLine().getErr().flush();
            stop.await();
        }
        return 0;
    }
}
