package dev.conclave.text.chat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Walks the AST, writing output; one instance per render call. */
final class Interpreter {
    /** Unwinds to the enclosing for loop; carries no stack trace since it is control flow. */
    private static final class LoopControl extends RuntimeException {
        final boolean isBreak;

        LoopControl(boolean isBreak) {
            super(null, null, false, false);
            this.isBreak = isBreak;
        }
    }

    private static final LoopControl BREAK = new LoopControl(true);
    private static final LoopControl CONTINUE = new LoopControl(false);

    void execute(List<Node> nodes, Scope scope, StringBuilder out) {
        for (Node node : nodes) execute(node, scope, out);
    }

    private void execute(Node node, Scope scope, StringBuilder out) {
        switch (node) {
            case Node.Text t -> out.append(t.text());
            case Node.Print p -> out.append(Py.str(eval(p.value(), scope)));
            case Node.If i -> execute(Py.truthy(eval(i.condition(), scope)) ? i.then() : i.otherwise(), scope, out);
            case Node.For f -> loop(f, scope, out);
            case Node.Set s -> assign(s.target(), eval(s.value(), scope), scope);
            case Node.SetBlock s -> {
                StringBuilder captured = new StringBuilder();
                execute(s.body(), scope, captured);
                scope.set(s.name(), captured.toString());
            }
            case Node.Macro m -> scope.set(m.name(), new MacroFunction(m.name(), m.params(), m.defaults(), m.body(), scope));
            case Node.CallBlock c -> {
                MacroFunction caller = new MacroFunction("caller", c.params(), c.defaults(), c.body(), scope);
                Object callee = eval(c.call().callee(), scope);
                Map<String, Object> kwargValues = evalKwargs(c.call().kwargs(), scope);
                kwargValues.put("caller", caller);
                out.append(Py.str(invoke(callee, evalArgs(c.call().args(), scope), kwargValues, c.pos())));
            }
            case Node.Sequence s -> execute(s.body(), scope, out);
            case Node.Break b -> throw BREAK;
            case Node.Continue c -> throw CONTINUE;
        }
    }

    private void loop(Node.For f, Scope scope, StringBuilder out) {
        Object iterable = eval(f.iterable(), scope);
        List<Object> items;
        try {
            items = Py.iterate(iterable);
        } catch (IllegalArgumentException e) {
            throw new TemplateException(e.getMessage(), f.iterable().pos());
        }
        Scope inner = new Scope(scope);
        if (f.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                assign(f.target(), item, inner);
                if (Py.truthy(eval(f.filter(), inner))) kept.add(item);
            }
            items = kept;
        }
        if (items.isEmpty()) {
            execute(f.otherwise(), scope, out);
            return;
        }
        Loop loop = new Loop(items);
        inner.set("loop", loop);
        for (int i = 0; i < items.size(); i++) {
            loop.advance(i);
            assign(f.target(), items.get(i), inner);
            try {
                execute(f.body(), inner, out);
            } catch (LoopControl control) {
                if (control.isBreak) break;
            }
        }
    }

    private void assign(Expr target, Object value, Scope scope) {
        switch (target) {
            case Expr.Name n -> scope.set(n.name(), value);
            case Expr.Tuple t -> {
                List<Object> values;
                try {
                    values = Py.iterate(value);
                } catch (IllegalArgumentException e) {
                    throw new TemplateException("cannot unpack " + Py.typeName(value), t.pos());
                }
                if (values.size() != t.items().size()) {
                    throw new TemplateException("expected " + t.items().size() + " values to unpack, got " + values.size(), t.pos());
                }
                for (int i = 0; i < values.size(); i++) assign(t.items().get(i), values.get(i), scope);
            }
            case Expr.Attribute a -> {
                Object owner = eval(a.object(), scope);
                if (!(owner instanceof Namespace ns)) {
                    throw new TemplateException("cannot assign attribute on non-namespace object", a.pos());
                }
                ns.attributes.put(a.name(), value);
            }
            default -> throw new TemplateException("cannot assign to this expression", target.pos());
        }
    }

    Object eval(Expr e, Scope scope) {
        try {
            return evaluate(e, scope);
        } catch (TemplateException | LoopControl passThrough) {
            throw passThrough;
        } catch (Globals.Raised raised) {
            throw new TemplateException(raised.getMessage(), e.pos());
        } catch (RuntimeException error) {
            throw new TemplateException(error.getMessage() == null ? error.toString() : error.getMessage(), e.pos());
        }
    }

    private Object evaluate(Expr e, Scope scope) {
        return switch (e) {
            case Expr.Literal l -> l.value();
            case Expr.Name n -> scope.lookup(n.name());
            case Expr.Tuple t -> new Tuple(evalArgs(t.items(), scope));
            case Expr.ListLiteral l -> evalArgs(l.items(), scope);
            case Expr.DictLiteral d -> {
                Map<Object, Object> map = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) map.put(eval(d.keys().get(i), scope), eval(d.values().get(i), scope));
                yield map;
            }
            case Expr.Attribute a -> Access.attribute(eval(a.object(), scope), a.name());
            case Expr.Item i -> Access.item(eval(i.object(), scope), eval(i.key(), scope));
            case Expr.Slice s -> Access.slice(eval(s.object(), scope), optional(s.start(), scope),
                    optional(s.stop(), scope), optional(s.step(), scope));
            case Expr.Call c -> invoke(eval(c.callee(), scope), evalArgs(c.args(), scope), evalKwargs(c.kwargs(), scope), c.pos());
            case Expr.Filter f -> Filters.apply(f.name(), eval(f.value(), scope),
                    new Filters.Args(evalArgs(f.args(), scope), evalKwargs(f.kwargs(), scope)));
            case Expr.Test t -> Tests.apply(t.name(), eval(t.value(), scope), evalArgs(t.args(), scope)) != t.negated();
            case Expr.Unary u -> switch (u.op()) {
                case "not" -> !Py.truthy(eval(u.operand(), scope));
                case "-" -> Operators.negate(eval(u.operand(), scope));
                default -> Operators.binary("+", 0L, eval(u.operand(), scope));
            };
            case Expr.Binary b -> binary(b, scope);
            case Expr.Compare c -> compare(c, scope);
            case Expr.Conditional c -> Py.truthy(eval(c.condition(), scope)) ? eval(c.then(), scope)
                    : c.otherwise() == null ? new Undefined("the inline if-expression evaluated to false and no else section was defined")
                    : eval(c.otherwise(), scope);
        };
    }

    private Object optional(Expr e, Scope scope) {
        return e == null ? null : eval(e, scope);
    }

    private Object binary(Expr.Binary b, Scope scope) {
        Object left = eval(b.left(), scope);
        return switch (b.op()) {
            case "and" -> Py.truthy(left) ? eval(b.right(), scope) : left;
            case "or" -> Py.truthy(left) ? left : eval(b.right(), scope);
            case "~" -> Py.str(left) + Py.str(eval(b.right(), scope));
            default -> Operators.binary(b.op(), left, eval(b.right(), scope));
        };
    }

    private Object compare(Expr.Compare c, Scope scope) {
        Object left = eval(c.first(), scope);
        for (int i = 0; i < c.ops().size(); i++) {
            Object right = eval(c.operands().get(i), scope);
            boolean holds = switch (c.ops().get(i)) {
                case "==" -> Py.eq(left, right);
                case "!=" -> !Py.eq(left, right);
                case "<" -> ordered(left, right) < 0;
                case "<=" -> ordered(left, right) <= 0;
                case ">" -> ordered(left, right) > 0;
                case ">=" -> ordered(left, right) >= 0;
                case "in" -> contained(left, right);
                default -> !contained(left, right);
            };
            if (!holds) return false;
            left = right;
        }
        return true;
    }

    private static int ordered(Object a, Object b) {
        if (a instanceof Undefined u) throw u.error();
        if (b instanceof Undefined u) throw u.error();
        return Py.compare(a, b);
    }

    private static boolean contained(Object item, Object container) {
        if (container instanceof Undefined u) throw u.error();
        return Py.contains(container, item);
    }

    private List<Object> evalArgs(List<Expr> exprs, Scope scope) {
        List<Object> values = new ArrayList<>(exprs.size());
        for (Expr x : exprs) values.add(eval(x, scope));
        return values;
    }

    private Map<String, Object> evalKwargs(Map<String, Expr> exprs, Scope scope) {
        Map<String, Object> values = new LinkedHashMap<>();
        exprs.forEach((k, x) -> values.put(k, eval(x, scope)));
        return values;
    }

    private static Object invoke(Object callee, List<Object> args, Map<String, Object> kwargs, Pos pos) {
        if (callee instanceof Undefined u) throw new TemplateException(u.hint(), pos);
        if (!(callee instanceof Callable f)) throw new TemplateException("'" + Py.typeName(callee) + "' object is not callable", pos);
        return f.call(args, kwargs);
    }

    /** A macro or call-block body bound to the scope it was defined in; calling it returns its rendered text. */
    private final class MacroFunction implements Callable {
        private final String name;
        private final List<String> params;
        private final List<Expr> defaults;
        private final List<Node> body;
        private final Scope definedIn;

        MacroFunction(String name, List<String> params, List<Expr> defaults, List<Node> body, Scope definedIn) {
            this.name = name;
            this.params = params;
            this.defaults = defaults;
            this.body = body;
            this.definedIn = definedIn;
        }

        @Override
        public Object call(List<Object> args, Map<String, Object> kwargs) {
            Scope scope = new Scope(definedIn);
            Map<String, Object> extra = new LinkedHashMap<>(kwargs);
            for (int i = 0; i < params.size(); i++) {
                String param = params.get(i);
                if (i < args.size()) {
                    scope.set(param, args.get(i));
                } else if (extra.containsKey(param)) {
                    scope.set(param, extra.remove(param));
                } else if (defaults.get(i) != null) {
                    scope.set(param, eval(defaults.get(i), scope));
                } else {
                    scope.set(param, new Undefined("parameter '" + param + "' of macro '" + name + "' was not provided"));
                }
            }
            if (extra.containsKey("caller")) scope.set("caller", extra.remove("caller"));
            scope.set("varargs", args.size() > params.size() ? new ArrayList<>(args.subList(params.size(), args.size())) : new ArrayList<>());
            scope.set("kwargs", extra);
            StringBuilder out = new StringBuilder();
            execute(body, scope, out);
            return out.toString();
        }
    }
}
