package dev.conclave.text.tokenizer;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The tokenizer files of a GLM-4.5-style checkpoint trained by Conclave: {@code tokenizer.json} with GLM's special
 * tokens after the trained vocabulary, and {@code tokenizer_config.json} carrying the GLM chat template with
 * {@code <|endoftext|>} as eos and pad token, as GLM-4.5's is.
 */
public final class GlmTokenizerFiles {

    /** GLM-4.5's added tokens in the order of their ids (glm45-model.md §7.1, ids 151329..151364 there). */
    public static final List<String> SPECIAL_TOKENS = List.of(
            "<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>",
            "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>",
            "<|begin_of_image|>", "<|end_of_image|>", "<|begin_of_video|>", "<|end_of_video|>",
            "<|begin_of_audio|>", "<|end_of_audio|>", "<|begin_of_transcription|>", "<|end_of_transcription|>",
            "<|code_prefix|>", "<|code_middle|>", "<|code_suffix|>",
            "<think>", "</think>", "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>",
            "<arg_key>", "</arg_key>", "<arg_value>", "</arg_value>", "/nothink",
            "<|begin_of_box|>", "<|end_of_box|>", "<|image|>", "<|video|>");

    /** The GLM-4.5/4.6 chat template, shipped as a resource. */
    private static final String CHAT_TEMPLATE_RESOURCE = "/chat-templates/GLM-4.6.jinja";
    private static final String END_OF_TEXT = "<|endoftext|>";

    private GlmTokenizerFiles() {
    }

    /** Trains on the corpus files (see {@link BpeTrainer#addFile}) and writes both files into {@code dir}. */
    public static BpeVocabulary train(List<Path> corpus, int vocabSize, Path dir) throws IOException {
        BpeTrainer trainer = new BpeTrainer(SPECIAL_TOKENS);
        for (Path file : corpus) {
            trainer.addFile(file);
        }
        BpeVocabulary vocabulary = trainer.train(vocabSize);
        write(vocabulary, dir);
        return vocabulary;
    }

    /** Writes {@code tokenizer.json} and {@code tokenizer_config.json} into {@code dir}, creating it if needed. */
    public static void write(BpeVocabulary vocabulary, Path dir) throws IOException {
        if (!vocabulary.specialTokens().equals(SPECIAL_TOKENS)) {
            throw new IllegalArgumentException("the vocabulary's special tokens are not GLM's: " + vocabulary.specialTokens());
        }
        Files.createDirectories(dir);
        TokenizerJsonWriter.write(vocabulary, dir.resolve("tokenizer.json"));
        ObjectNode config = JsonNodeFactory.instance.objectNode();
        config.put("tokenizer_class", "PreTrainedTokenizerFast");
        config.put("eos_token", END_OF_TEXT);
        config.put("pad_token", END_OF_TEXT);
        config.put("padding_side", "left");
        config.put("clean_up_tokenization_spaces", false);
        config.put("do_lower_case", false);
        config.put("remove_space", false);
        config.put("chat_template", chatTemplate());
        TokenizerJsonWriter.writePretty(config, dir.resolve("tokenizer_config.json"));
    }

    /** The GLM chat template text. */
    public static String chatTemplate() {
        try (InputStream in = GlmTokenizerFiles.class.getResourceAsStream(CHAT_TEMPLATE_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + CHAT_TEMPLATE_RESOURCE + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
