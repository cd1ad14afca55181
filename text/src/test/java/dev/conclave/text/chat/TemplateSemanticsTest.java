package dev.conclave.text.chat;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Jinja2 semantics one feature at a time; every expected string was produced by Python jinja2 3.1.6 with Hugging Face's settings. */
class TemplateSemanticsTest {

    private static String render(String template, Map<String, Object> context) {
        return ChatTemplate.compile(template).render(context);
    }

    private static String render(String template) {
        return render(template, Map.of());
    }

    @Test
    void trimBlocksRemovesTheNewlineAfterABlockTagAndLstripBlocksTheIndentBeforeIt() {
        assertEquals("  yes\nend", render("{% if true %}\n  yes\n{% endif %}\nend"));
        assertEquals("x  \nA y", render("  {% if true %}x{% endif %}  \nA {% if true %}y{% endif %}"));
    }

    @Test
    void lstripAndTrimApplyToCommentsButNotToPrintTags() {
        assertEquals("a\n  v\nb", render("a\n  {{ 'v' }}\n  {# c #}\nb"));
    }

    @Test
    void plusSignsDisableLstripAndTrim() {
        assertEquals("a\n  x\nb", render("a\n  {%+ if true %}x{% endif +%}\nb"));
    }

    @Test
    void minusSignsStripAllWhitespaceIncludingNewlines() {
        assertEquals("abc", render("a  {%- if true -%}  b  {%- endif -%}  c"));
        assertEquals(" x ", render("{{- ' x ' -}}\n\n"));
    }

    @Test
    void oneTrailingNewlineOfTheTemplateIsDropped() {
        assertEquals("line", render("line\n"));
        assertEquals("line\n", render("line\n\n"));
    }

    @Test
    void loopVariables() {
        String t = "{% for x in xs %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.length }}"
                + "{{ '^' if loop.first }}{{ '$' if loop.last }} {% endfor %}";
        assertEquals("1/0/3^ 2/1/3 3/2/3$ ", render(t, Map.of("xs", List.of("a", "b", "c"))));
    }

    @Test
    void loopFilterCountsOnlyKeptItemsAndElseRunsWhenNothingIsLeft() {
        String t = "{% for x in xs if x > 1 %}{{ x }}:{{ loop.index }}/{{ loop.length }} {% else %}none{% endfor %}";
        assertEquals("2:1/2 3:2/2 ", render(t, Map.of("xs", List.of(1, 2, 3))));
        assertEquals("none", render(t, Map.of("xs", List.of(1))));
    }

    @Test
    void unpackingDictItemsAndPythonReprOfValues() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("b", 1);
        d.put("a", Arrays.asList(1, "x", null, true));
        assertEquals("b=1;a=[1, 'x', None, True];",
                render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", Map.of("d", d)));
    }

    @Test
    void breakAndContinue() {
        assertEquals("0134", render("{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}"
                + "{% if x == 5 %}{% break %}{% endif %}{{ x }}{% endfor %}"));
    }

    @Test
    void namespaceCarriesStateOutOfALoopWhilePlainSetDoesNot() {
        assertEquals("6||False", render("{% set ns = namespace(n=0, seen=false) %}{% for x in [1,2,3] %}"
                + "{% set ns.n = ns.n + x %}{% set local = x %}{% endfor %}{{ ns.n }}|{{ local }}|{{ ns.seen }}"));
    }

    @Test
    void tupleAndBlockAssignment() {
        assertEquals("12[captured 1]",
                render("{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t %}captured {{ a }}{% endset %}[{{ t }}]"));
    }

    @Test
    void tojsonMatchesPythonJsonDumps() {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("s", "北京 \"q\" \\ \n\t\u0001 é 😀");
        x.put("n", Arrays.asList(1, 2.5, 1e20, 0.0001, 1e-05, -0.0, true, null));
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("a", Map.of("b", List.of()));
        nested.put("e", Map.of());
        x.put("nested", nested);
        assertEquals("{\"s\": \"北京 \\\"q\\\" \\\\ \\n\\t\\u0001 é 😀\", \"n\": [1, 2.5, 1e+20, 0.0001, 1e-05, -0.0, true, null], "
                + "\"nested\": {\"a\": {\"b\": []}, \"e\": {}}}", render("{{ x | tojson }}", Map.of("x", x)));
    }

    @Test
    void tojsonEnsureAsciiEscapesSurrogatePairsAndDel() {
        assertEquals("\"\\u00e9\\ud83d\\ude00\\u007f\"",
                render("{{ x | tojson(ensure_ascii=True) }}", Map.of("x", "é😀\u007f")));
    }

    @Test
    void tojsonIndent() {
        Map<String, Object> x = new LinkedHashMap<>();
        x.put("a", List.of(1, Map.of("b", 2)));
        x.put("c", Map.of());
        assertEquals("{\n  \"a\": [\n    1,\n    {\n      \"b\": 2\n    }\n  ],\n  \"c\": {}\n}",
                render("{{ x | tojson(indent=2) }}", Map.of("x", x)));
    }

    @Test
    void undefinedIsFalseyEmptyAndNotDefined() {
        assertEquals("[]False0FdFalse", render("[{{ missing }}]{{ missing is defined }}{{ missing | length }}"
                + "{% if not missing %}F{% endif %}{% for a in missing %}x{% endfor %}{{ missing | default('d') }}"
                + "{{ d.nokey is defined }}", Map.of("d", Map.of())));
    }

    @Test
    void expressionsAndPythonRepr() {
        assertEquals("[1, 'a', None, True, 2.0]|{'k': \"it's\"}|None|3|3.5|2|1024|ab1",
                render("{{ [1, 'a', none, true, 2.0] }}|{{ {'k': \"it's\"} }}|{{ none }}|{{ 7 // 2 }}|{{ 7 / 2 }}"
                        + "|{{ -7 % 3 }}|{{ 2 ** 10 }}|{{ 'ab' ~ 1 }}"));
        assertEquals("3.0|1e+16|123456789.0|0.30000000000000004",
                render("{{ x }}|{{ 1e16 }}|{{ 123456789.0 }}|{{ 0.1 + 0.2 }}", Map.of("x", 3.0)));
    }

    @Test
    void slicingAndStringMethods() {
        assertEquals("ell|[4, 3, 2, 1]|c|['a', 'b', '', 'c']|x|hi|['a', 'b', 'c']",
                render("{{ 'Hello World'[1:4] }}|{{ [1,2,3,4][::-1] }}|{{ 'abc'[-1] }}|{{ 'a,b,,c'.split(',') }}"
                        + "|{{ ' x '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ 'a b  c'.split() }}"));
    }

    @Test
    void membershipChainedComparisonAndTests() {
        assertEquals("TrueTrueTrueTrueTrueTrueTrueTrueTrue",
                render("{{ 'a' in 'cat' }}{{ 2 not in [1,3] }}{{ 'k' in {'k': 1} }}{{ 1 < 2 < 3 }}{{ x is string }}"
                                + "{{ y is mapping }}{{ y is sequence }}{{ z is number }}{{ none is none }}",
                        Map.of("x", "s", "y", Map.of(), "z", 1.5)));
    }

    @Test
    void macrosWithDefaultsKeywordsAndCaller() {
        assertEquals("[1B][12]", render("{% macro m(a, b='B') %}[{{ a }}{{ b }}]{% endmacro %}{{ m(1) }}{{ m(1, b=2) }}"));
        assertEquals("<inner>", render("{% macro w() %}<{{ caller() }}>{% endmacro %}{% call w() %}inner{% endcall %}"));
    }

    @Test
    void filters() {
        assertEquals("b-a|a.b.|t|31|abAB|5|[('a', 1)]",
                render("{{ ['b','a'] | join('-') }}|{{ 'aXbX' | replace('X', '.') }}|{{ ' t ' | trim }}"
                        + "|{{ [3,1] | first }}{{ [3,1] | last }}|{{ 'Ab' | lower }}{{ 'Ab' | upper }}|{{ 5 | string }}"
                        + "|{{ {'a':1} | items | list }}"));
        List<Map<String, Object>> users = List.of(Map.of("name", "a", "admin", true), Map.of("name", "b", "admin", false));
        assertEquals("a", render("{{ users | selectattr('admin') | map(attribute='name') | join(',') }}", Map.of("users", users)));
    }
}
