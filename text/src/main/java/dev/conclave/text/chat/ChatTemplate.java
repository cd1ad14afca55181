package dev.conclave.text.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled Hugging Face chat template (Jinja2 with trim_blocks, lstrip_blocks and json.dumps {@code tojson}).
 * Compiled once per checkpoint, immutable, and safe to render from many threads.
 */
public final class ChatTemplate {
    private static final List<String> SPECIAL_TOKENS = List.of("bos_token", "eos_token", "unk_token", "sep_token",
            "pad_token", "cls_token", "mask_token");

    private final String source;
    private final List<Node> body;
    private final Map<String, Object> defaults;

    private ChatTemplate(String source, List<Node> body, Map<String, Object> defaults) {
        this.source = source;
        this.body = body;
        this.defaults = defaults;
    }

    /** Parses a template; syntax errors are {@link TemplateException}s with the line and column. */
    public static ChatTemplate compile(String source) {
        return new ChatTemplate(source, Parser.parse(source), Map.of());
    }

    /**
     * The template of a checkpoint directory: {@code chat_template.jinja} if present, otherwise the
     * {@code chat_template} field of {@code tokenizer_config.json} (a string, or a list of named templates of
     * which "default" is taken). The special tokens of tokenizer_config.json ({@code bos_token}, ...) become
     * template variables, as transformers' {@code apply_chat_template} passes them.
     */
    public static ChatTemplate load(Path checkpointDir) throws IOException {
        Path jinja = checkpointDir.resolve("chat_template.jinja");
        Path configFile = checkpointDir.resolve("tokenizer_config.json");
        JsonNode config = Files.exists(configFile) ? new ObjectMapper().readTree(configFile.toFile()) : null;
        String source;
        if (Files.exists(jinja)) {
            source = Files.readString(jinja);
        } else if (config != null && config.has("chat_template")) {
            source = templateField(config.get("chat_template"), configFile);
        } else {
            throw new IOException("no chat template in " + checkpointDir
                    + ": neither chat_template.jinja nor a chat_template field in tokenizer_config.json");
        }
        Map<String, Object> defaults = new HashMap<>();
        if (config != null) {
            for (String name : SPECIAL_TOKENS) {
                JsonNode token = config.get(name);
                if (token == null || token.isNull()) continue;
                // A token is either a plain string or a serialized AddedToken object with its text in "content".
                defaults.put(name, token.isTextual() ? token.asText() : token.path("content").asText());
            }
        }
        return new ChatTemplate(source, Parser.parse(source), Map.copyOf(defaults));
    }

    private static String templateField(JsonNode field, Path configFile) throws IOException {
        if (field.isTextual()) return field.asText();
        for (JsonNode named : field) {
            if ("default".equals(named.path("name").asText())) return named.path("template").asText();
        }
        throw new IOException(configFile + ": chat_template has no template named \"default\"");
    }

    public String source() {
        return source;
    }

    /**
     * Renders with the given variables (values are Java maps, lists, strings, numbers, booleans and null, as
     * Jackson's {@code convertValue} produces). Variables not given are undefined.
     */
    public String render(Map<String, Object> context) {
        Scope globals = new Scope(null);
        Globals.install(globals);
        Scope scope = new Scope(globals);
        defaults.forEach(scope::set);
        context.forEach(scope::set);
        StringBuilder out = new StringBuilder();
        new Interpreter().execute(body, scope, out);
        return out.toString();
    }

    /**
     * Renders a conversation the way transformers' {@code apply_chat_template} does: {@code messages},
     * {@code tools} (None when absent) and {@code add_generation_prompt}, plus extra variables such as
     * {@code enable_thinking}.
     */
    public String render(List<Map<String, Object>> messages, List<Map<String, Object>> tools,
                         boolean addGenerationPrompt, Map<String, Object> extra) {
        Map<String, Object> context = new HashMap<>();
        if (extra != null) context.putAll(extra);
        context.put("messages", messages);
        context.put("tools", tools);
        context.put("add_generation_prompt", addGenerationPrompt);
        return render(context);
    }
}
