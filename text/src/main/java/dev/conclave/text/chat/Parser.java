package dev.conclave.text.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Recursive-descent parser from tokens to the AST, following jinja2's grammar and operator precedence. */
final class Parser {
    private static final Set<String> COMPARE_OPS = Set.of("==", "!=", "<", "<=", ">", ">=");

    private final List<Token> tokens;
    private int at;

    private Parser(List<Token> tokens) {
        this.tokens = tokens;
    }

    static List<Node> parse(String source) {
        Parser parser = new Parser(Lexer.tokenize(source));
        List<Node> body = parser.statements(Set.of());
        parser.expect(Token.Kind.EOF);
        return body;
    }

    // ---- token stream

    private Token peek() {
        return tokens.get(at);
    }

    private Token peek(int ahead) {
        return tokens.get(Math.min(at + ahead, tokens.size() - 1));
    }

    private Token next() {
        return tokens.get(at++);
    }

    private Token expect(Token.Kind kind) {
        Token t = peek();
        if (t.kind() != kind) throw unexpected(t, kind.name().toLowerCase().replace('_', ' '));
        return next();
    }

    private void expectOperator(String op) {
        if (!peek().isOperator(op)) throw unexpected(peek(), "'" + op + "'");
        next();
    }

    private void expectName(String name) {
        if (!peek().isName(name)) throw unexpected(peek(), "'" + name + "'");
        next();
    }

    private boolean acceptOperator(String op) {
        if (!peek().isOperator(op)) return false;
        next();
        return true;
    }

    private boolean acceptName(String name) {
        if (!peek().isName(name)) return false;
        next();
        return true;
    }

    private static TemplateException unexpected(Token t, String wanted) {
        String found = t.kind() == Token.Kind.EOF ? "end of template" : "'" + t.text() + "'";
        return new TemplateException("expected " + wanted + ", found " + found, t.pos());
    }

    // ---- statements

    /** Parses until a block tag whose first name is in {@code ends}, leaving that name as the next token. */
    private List<Node> statements(Set<String> ends) {
        List<Node> body = new ArrayList<>();
        while (true) {
            Token t = peek();
            switch (t.kind()) {
                case DATA -> body.add(new Node.Text(next().pos(), t.text()));
                case VAR_BEGIN -> {
                    next();
                    body.add(new Node.Print(t.pos(), tuple(true)));
                    expect(Token.Kind.VAR_END);
                }
                case BLOCK_BEGIN -> {
                    Token keyword = peek(1);
                    if (keyword.kind() == Token.Kind.NAME && ends.contains(keyword.text())) {
                        next();
                        return body;
                    }
                    next();
                    body.add(statement());
                }
                case EOF -> {
                    if (!ends.isEmpty()) throw unexpected(t, "one of " + ends);
                    return body;
                }
                default -> throw unexpected(t, "template text or tag");
            }
        }
    }

    /** Consumes "{% name %}" whose begin delimiter was already consumed by {@link #statements}. */
    private void endTag(String name) {
        expectName(name);
        expect(Token.Kind.BLOCK_END);
    }

    private Node statement() {
        Token keyword = expect(Token.Kind.NAME);
        Pos pos = keyword.pos();
        Node node = switch (keyword.text()) {
            case "if" -> ifStatement(pos);
            case "for" -> forStatement(pos);
            case "set" -> setStatement(pos);
            case "macro" -> macroStatement(pos);
            case "call" -> callStatement(pos);
            case "generation" -> {
                expect(Token.Kind.BLOCK_END);
                List<Node> body = statements(Set.of("endgeneration"));
                endTag("endgeneration");
                yield new Node.Sequence(pos, body);
            }
            case "break" -> {
                expect(Token.Kind.BLOCK_END);
                yield new Node.Break(pos);
            }
            case "continue" -> {
                expect(Token.Kind.BLOCK_END);
                yield new Node.Continue(pos);
            }
            default -> throw new TemplateException("unknown tag '" + keyword.text() + "'", pos);
        };
        return node;
    }

    private Node ifStatement(Pos pos) {
        Expr condition = tuple(true);
        expect(Token.Kind.BLOCK_END);
        List<Node> then = statements(Set.of("elif", "else", "endif"));
        Token branch = next();
        List<Node> otherwise = switch (branch.text()) {
            case "elif" -> List.of(ifStatement(branch.pos()));
            case "else" -> {
                expect(Token.Kind.BLOCK_END);
                List<Node> body = statements(Set.of("endif"));
                endTag("endif");
                yield body;
            }
            default -> {
                expect(Token.Kind.BLOCK_END);
                yield List.of();
            }
        };
        return new Node.If(pos, condition, then, otherwise);
    }

    private Node forStatement(Pos pos) {
        Expr target = assignTarget(false);
        expectName("in");
        Expr iterable = tuple(false);
        Expr filter = acceptName("if") ? expression(true) : null;
        if (peek().isName("recursive")) throw new TemplateException("recursive loops are not supported", peek().pos());
        expect(Token.Kind.BLOCK_END);
        List<Node> body = statements(Set.of("else", "endfor"));
        List<Node> otherwise = List.of();
        if (next().text().equals("else")) {
            expect(Token.Kind.BLOCK_END);
            otherwise = statements(Set.of("endfor"));
            next();
        }
        expect(Token.Kind.BLOCK_END);
        return new Node.For(pos, target, iterable, filter, body, otherwise);
    }

    private Node setStatement(Pos pos) {
        Expr target = assignTarget(true);
        if (acceptOperator("=")) {
            Expr value = tuple(true);
            expect(Token.Kind.BLOCK_END);
            return new Node.Set(pos, target, value);
        }
        if (!(target instanceof Expr.Name name)) throw unexpected(peek(), "'='");
        expect(Token.Kind.BLOCK_END);
        List<Node> body = statements(Set.of("endset"));
        endTag("endset");
        return new Node.SetBlock(pos, name.name(), body);
    }

    /** A name, a namespace attribute (only for set) or a tuple of names. */
    private Expr assignTarget(boolean allowAttribute) {
        Pos pos = peek().pos();
        List<Expr> names = new ArrayList<>();
        do {
            Token name = expect(Token.Kind.NAME);
            Expr target = new Expr.Name(name.pos(), name.text());
            if (allowAttribute && acceptOperator(".")) {
                target = new Expr.Attribute(name.pos(), target, expect(Token.Kind.NAME).text());
            }
            names.add(target);
        } while (acceptOperator(","));
        return names.size() == 1 ? names.getFirst() : new Expr.Tuple(pos, names);
    }

    private Node macroStatement(Pos pos) {
        String name = expect(Token.Kind.NAME).text();
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        parameters(params, defaults);
        expect(Token.Kind.BLOCK_END);
        List<Node> body = statements(Set.of("endmacro"));
        endTag("endmacro");
        return new Node.Macro(pos, name, params, defaults, body);
    }

    private Node callStatement(Pos pos) {
        List<String> params = new ArrayList<>();
        List<Expr> defaults = new ArrayList<>();
        if (peek().isOperator("(")) parameters(params, defaults);
        Expr call = unary(true);
        if (!(call instanceof Expr.Call c)) throw new TemplateException("expected a call", call.pos());
        expect(Token.Kind.BLOCK_END);
        List<Node> body = statements(Set.of("endcall"));
        endTag("endcall");
        return new Node.CallBlock(pos, c, params, defaults, body);
    }

    private void parameters(List<String> params, List<Expr> defaults) {
        expectOperator("(");
        while (!acceptOperator(")")) {
            if (!params.isEmpty()) expectOperator(",");
            if (acceptOperator(")")) break;
            params.add(expect(Token.Kind.NAME).text());
            defaults.add(acceptOperator("=") ? expression(true) : null);
        }
    }

    // ---- expressions, lowest precedence first

    /** Expressions separated by commas form a tuple, as in {@code set a = 1, 2}. */
    private Expr tuple(boolean withConditional) {
        Pos pos = peek().pos();
        Expr first = expression(withConditional);
        if (!peek().isOperator(",")) return first;
        List<Expr> items = new ArrayList<>(List.of(first));
        while (acceptOperator(",")) {
            if (peek().kind() == Token.Kind.BLOCK_END || peek().kind() == Token.Kind.VAR_END) break;
            items.add(expression(withConditional));
        }
        return new Expr.Tuple(pos, items);
    }

    private Expr expression(boolean withConditional) {
        Expr value = or();
        if (!withConditional) return value;
        while (peek().isName("if")) {
            Pos pos = next().pos();
            Expr condition = or();
            Expr otherwise = acceptName("else") ? expression(true) : null;
            value = new Expr.Conditional(pos, condition, value, otherwise);
        }
        return value;
    }

    private Expr or() {
        Expr left = and();
        while (peek().isName("or")) {
            Pos pos = next().pos();
            left = new Expr.Binary(pos, "or", left, and());
        }
        return left;
    }

    private Expr and() {
        Expr left = not();
        while (peek().isName("and")) {
            Pos pos = next().pos();
            left = new Expr.Binary(pos, "and", left, not());
        }
        return left;
    }

    private Expr not() {
        if (peek().isName("not")) {
            Pos pos = next().pos();
            return new Expr.Unary(pos, "not", not());
        }
        return compare();
    }

    private Expr compare() {
        Pos pos = peek().pos();
        Expr first = additive();
        List<String> ops = new ArrayList<>();
        List<Expr> operands = new ArrayList<>();
        while (true) {
            Token t = peek();
            if (t.kind() == Token.Kind.OPERATOR && COMPARE_OPS.contains(t.text())) {
                ops.add(next().text());
            } else if (t.isName("in")) {
                next();
                ops.add("in");
            } else if (t.isName("not") && peek(1).isName("in")) {
                next();
                next();
                ops.add("not in");
            } else {
                break;
            }
            operands.add(additive());
        }
        return ops.isEmpty() ? first : new Expr.Compare(pos, first, ops, operands);
    }

    private Expr additive() {
        Expr left = concat();
        while (peek().isOperator("+") || peek().isOperator("-")) {
            Token op = next();
            left = new Expr.Binary(op.pos(), op.text(), left, concat());
        }
        return left;
    }

    private Expr concat() {
        Expr left = multiplicative();
        while (peek().isOperator("~")) {
            Token op = next();
            left = new Expr.Binary(op.pos(), "~", left, multiplicative());
        }
        return left;
    }

    private Expr multiplicative() {
        Expr left = power();
        while (true) {
            Token t = peek();
            if (!(t.isOperator("*") || t.isOperator("/") || t.isOperator("//") || t.isOperator("%"))) return left;
            next();
            left = new Expr.Binary(t.pos(), t.text(), left, power());
        }
    }

    private Expr power() {
        Expr left = unary(true);
        while (peek().isOperator("**")) {
            Token op = next();
            left = new Expr.Binary(op.pos(), "**", left, unary(true));
        }
        return left;
    }

    private Expr unary(boolean withFilters) {
        Token t = peek();
        Expr node;
        if (t.isOperator("-") || t.isOperator("+")) {
            next();
            node = new Expr.Unary(t.pos(), t.text(), unary(false));
        } else {
            node = postfix(primary());
        }
        return withFilters ? filters(node) : node;
    }

    private Expr primary() {
        Token t = next();
        return switch (t.kind()) {
            case NAME -> switch (t.text()) {
                case "true", "True" -> new Expr.Literal(t.pos(), Boolean.TRUE);
                case "false", "False" -> new Expr.Literal(t.pos(), Boolean.FALSE);
                case "none", "None" -> new Expr.Literal(t.pos(), null);
                default -> new Expr.Name(t.pos(), t.text());
            };
            case STRING -> {
                StringBuilder s = new StringBuilder(t.text());
                while (peek().kind() == Token.Kind.STRING) s.append(next().text());
                yield new Expr.Literal(t.pos(), s.toString());
            }
            case INTEGER -> new Expr.Literal(t.pos(), Long.parseLong(t.text()));
            case FLOAT -> new Expr.Literal(t.pos(), Double.parseDouble(t.text()));
            case OPERATOR -> switch (t.text()) {
                case "(" -> parenthesized(t.pos());
                case "[" -> new Expr.ListLiteral(t.pos(), sequence("]"));
                case "{" -> dict(t.pos());
                default -> throw unexpected(t, "an expression");
            };
            default -> throw unexpected(t, "an expression");
        };
    }

    private Expr parenthesized(Pos pos) {
        if (acceptOperator(")")) return new Expr.Tuple(pos, List.of());
        Expr first = expression(true);
        if (acceptOperator(")")) return first;
        expectOperator(",");
        List<Expr> items = new ArrayList<>(List.of(first));
        items.addAll(sequence(")"));
        return new Expr.Tuple(pos, items);
    }

    /** Comma-separated expressions up to {@code close}, allowing a trailing comma. */
    private List<Expr> sequence(String close) {
        List<Expr> items = new ArrayList<>();
        while (!acceptOperator(close)) {
            if (!items.isEmpty()) {
                expectOperator(",");
                if (acceptOperator(close)) break;
            }
            items.add(expression(true));
        }
        return items;
    }

    private Expr dict(Pos pos) {
        List<Expr> keys = new ArrayList<>();
        List<Expr> values = new ArrayList<>();
        while (!acceptOperator("}")) {
            if (!keys.isEmpty()) {
                expectOperator(",");
                if (acceptOperator("}")) break;
            }
            keys.add(expression(true));
            expectOperator(":");
            values.add(expression(true));
        }
        return new Expr.DictLiteral(pos, keys, values);
    }

    private Expr postfix(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOperator(".")) {
                next();
                Token name = next();
                if (name.kind() == Token.Kind.NAME) {
                    node = new Expr.Attribute(t.pos(), node, name.text());
                } else if (name.kind() == Token.Kind.INTEGER) {
                    node = new Expr.Item(t.pos(), node, new Expr.Literal(name.pos(), Long.parseLong(name.text())));
                } else {
                    throw unexpected(name, "an attribute name");
                }
            } else if (t.isOperator("[")) {
                next();
                node = subscript(t.pos(), node);
            } else if (t.isOperator("(")) {
                node = call(node);
            } else {
                return node;
            }
        }
    }

    private Expr subscript(Pos pos, Expr object) {
        Expr start = null;
        if (!peek().isOperator(":")) {
            start = expression(true);
            if (acceptOperator("]")) return new Expr.Item(pos, object, start);
        }
        expectOperator(":");
        Expr stop = peek().isOperator("]") || peek().isOperator(":") ? null : expression(true);
        Expr step = null;
        if (acceptOperator(":") && !peek().isOperator("]")) step = expression(true);
        expectOperator("]");
        return new Expr.Slice(pos, object, start, stop, step);
    }

    private Expr.Call call(Expr callee) {
        Pos pos = callee.pos();
        List<Expr> args = new ArrayList<>();
        Map<String, Expr> kwargs = new LinkedHashMap<>();
        arguments(args, kwargs);
        return new Expr.Call(pos, callee, args, kwargs);
    }

    private void arguments(List<Expr> args, Map<String, Expr> kwargs) {
        expectOperator("(");
        boolean first = true;
        while (!acceptOperator(")")) {
            if (!first) {
                expectOperator(",");
                if (acceptOperator(")")) break;
            }
            first = false;
            if (peek().kind() == Token.Kind.NAME && peek(1).isOperator("=")) {
                String key = next().text();
                next();
                kwargs.put(key, expression(true));
            } else {
                if (!kwargs.isEmpty()) throw new TemplateException("positional argument after keyword argument", peek().pos());
                args.add(expression(true));
            }
        }
    }

    private Expr filters(Expr node) {
        while (true) {
            Token t = peek();
            if (t.isOperator("|")) {
                next();
                node = filter(node);
            } else if (t.isName("is")) {
                next();
                node = test(t.pos(), node);
            } else if (t.isOperator("(")) {
                node = call(node);
            } else {
                return node;
            }
        }
    }

    private Expr filter(Expr value) {
        Token name = expect(Token.Kind.NAME);
        if (!Filters.exists(name.text())) throw new TemplateException("no filter named '" + name.text() + "'", name.pos());
        List<Expr> args = new ArrayList<>();
        Map<String, Expr> kwargs = new LinkedHashMap<>();
        if (peek().isOperator("(")) arguments(args, kwargs);
        return new Expr.Filter(name.pos(), value, name.text(), args, kwargs);
    }

    private Expr test(Pos pos, Expr value) {
        boolean negated = acceptName("not");
        Token name = expect(Token.Kind.NAME);
        if (!Tests.exists(name.text())) throw new TemplateException("no test named '" + name.text() + "'", name.pos());
        List<Expr> args = new ArrayList<>();
        Token t = peek();
        if (t.isOperator("(")) {
            Map<String, Expr> kwargs = new LinkedHashMap<>();
            arguments(args, kwargs);
            args.addAll(kwargs.values());
        } else if (startsTestArgument(t)) {
            args.add(postfix(primary()));
        }
        return new Expr.Test(pos, value, name.text(), args, negated);
    }

    /** jinja2 accepts one bare argument after a test name, as in {@code is divisibleby 3} or {@code is sameas none}. */
    private static boolean startsTestArgument(Token t) {
        return switch (t.kind()) {
            case NAME -> !(t.text().equals("else") || t.text().equals("or") || t.text().equals("and"));
            case STRING, INTEGER, FLOAT -> true;
            case OPERATOR -> t.text().equals("[") || t.text().equals("{");
            default -> false;
        };
    }
}
