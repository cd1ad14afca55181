package dev.conclave.text.chat;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Compile and render errors name the offending position in the template source. */
class TemplateErrorTest {

    private static TemplateException compileError(String template) {
        return assertThrows(TemplateException.class, () -> ChatTemplate.compile(template));
    }

    private static TemplateException renderError(String template) {
        return assertThrows(TemplateException.class, () -> ChatTemplate.compile(template).render(Map.of()));
    }

    @Test
    void unclosedBlockPointsAtTheEndOfTheTemplate() {
        TemplateException e = compileError("a\n{% if x %}\nb");
        assertEquals(3, e.line());
        assertEquals(2, e.column());
    }

    @Test
    void unknownFilterPointsAtItsName() {
        TemplateException e = compileError("line one\n  {{ x | frobnicate }}");
        assertEquals("no filter named 'frobnicate'", e.reason());
        assertEquals(2, e.line());
        assertEquals(10, e.column());
    }

    @Test
    void unclosedTagAndBadToken() {
        assertEquals(1, compileError("ok {{ x").line());
        TemplateException e = compileError("{{ a ; b }}");
        assertEquals(6, e.column());
    }

    @Test
    void attributeOfUndefinedIsAnErrorLikeJinja2() {
        TemplateException e = renderError("\n\n   {{ missing.attr }}");
        assertEquals("'missing' is undefined", e.reason());
        assertEquals(3, e.line());
    }

    @Test
    void arithmeticOnUndefinedIsAnError() {
        assertEquals("'missing' is undefined", renderError("{{ missing + 1 }}").reason());
    }

    @Test
    void raiseExceptionCarriesTheTemplateMessageAndPosition() {
        TemplateException e = renderError("{% if true %}\n{{ raise_exception('bad role') }}{% endif %}");
        assertEquals("bad role", e.reason());
        assertEquals(2, e.line());
        assertEquals(4, e.column());
    }

    @Test
    void typeErrorsReportThePosition() {
        TemplateException e = renderError("{{ 'a' + 1 }}");
        assertEquals(1, e.line());
        assertEquals(8, e.column());
    }
}
