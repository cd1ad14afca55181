package dev.conclave.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.conclave.api.grpc.v1.ConclaveGrpc;
import dev.conclave.api.grpc.v1.ListModelsRequest;
import dev.conclave.api.openai.TinyTokenizer;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import dev.conclave.core.checkpoint.Checkpoint;
import dev.conclave.core.parallel.Parallel;
import dev.conclave.core.testing.Fixtures;
import dev.conclave.model.Generator;
import dev.conclave.model.InProcessPipeline;
import dev.conclave.model.Sampler;
import dev.conclave.text.tokenizer.Tokenizer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `conclave serve` on a real checkpoint: HTTP against a lone run of the same prompt, and gRPC answering. */
class ServeCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** Fixture C with a byte-level tokenizer padded with special tokens up to its 640-id vocabulary. */
    private Path servableModel() throws Exception {
        try (var files = Files.list(Fixtures.fixture(Fixtures.TINY_C))) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        TinyTokenizer.create(dir);
        Path file = dir.resolve("tokenizer.json");
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        ArrayNode added = (ArrayNode) root.get("added_tokens");
        int vocab = JSON.readTree(dir.resolve("config.json").toFile()).get("vocab_size").asInt();
        for (int id = added.size() + 256; id < vocab; id++) {
            added.addObject().put("id", id).put("content", "<|extra_" + id + "|>").put("special", true);
        }
        Files.writeString(file, JSON.writeValueAsString(root));
        Files.writeString(dir.resolve("chat_template.jinja"),
                "{% for m in messages %}<|user|>{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}");
        return dir;
    }

    @Test
    void servesChatCompletionsWithTheLoneRunsTokens() throws Exception {
        Path model = servableModel();
        ServeCommand command = new ServeCommand();
        new CommandLine(command).parseArgs("--model", model.toString(), "--port", "0", "--grpc-port", "0", "--api-key", "sesame",
                "--threads", "2");
        try (ServeCommand.Served served = command.start()) {
            String base = "http://127.0.0.1:" + served.server().port();
            HttpClient http = HttpClient.newHttpClient();
            String body = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":10,"
                    + "\"temperature\":0}";
            HttpResponse<String> unauthorized = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, unauthorized.statusCode());

            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .header("Authorization", "Bearer sesame").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response.body());
            JsonNode reply = JSON.readTree(response.body());

            Tokenizer tokenizer = Tokenizer.load(model);
            int[] prompt = tokenizer.encode("<|user|>hi<|assistant|>", false);
            try (Checkpoint c = Checkpoint.open(model); Parallel p = Parallel.create(2)) {
                var pipeline = InProcessPipeline.load(c, p);
                int[] ids = new Generator(pipeline).generate(prompt, 10, Sampler.greedy(),
                        new HashSet<>(c.config().eosTokenIds()), t -> { });
                assertEquals(prompt.length, reply.get("usage").get("prompt_tokens").asInt());
                assertEquals(ids.length, reply.get("usage").get("completion_tokens").asInt(), response.body());
                String finish = reply.get("choices").get(0).get("finish_reason").asText();
                assertTrue(finish.equals(ids.length < 10 ? "stop" : "length") || finish.equals("tool_calls"), finish);
            }

            ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", served.grpc().port()).usePlaintext().build();
            try {
                Metadata key = new Metadata();
                key.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer sesame");
                var models = ConclaveGrpc.newBlockingStub(channel)
                        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(key))
                        .listModels(ListModelsRequest.getDefaultInstance());
                assertEquals(model.getFileName().toString(), models.getModels(0).getId());
            } finally {
                channel.shutdownNow();
            }
        }
    }
}
