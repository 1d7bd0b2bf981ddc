/**
 * `$where` without JavaScript. mongod runs `$where` as JavaScript; the simulator runs no code a
 * client sends, but understands the one idiom tests use it for, holding a command on the server:
 * `true`, `false` and `sleep(ms)` joined by `||` and `&&`, with JavaScript's short-circuit (sleep
 * returns undefined, which is falsy). `sleep` spends server time (server-time.ts) instead of
 * blocking. Anything else is refused with a message naming what is understood.
 */
import type { Document } from 'bson';
import { isPlainDocument } from './plain-document.js';
import { CommandError, ServerErrorCode } from './server-errors.js';
import { spendServerTime } from './server-time.js';

type Term =
  { readonly kind: 'literal'; readonly value: boolean } | { readonly kind: 'sleep'; readonly ms: number };
/** Alternatives (`||`) of conjunctions (`&&`) of terms: `&&` binds tighter, as in JavaScript. */
type Expression = readonly (readonly Term[])[];

const TERM = /^(?:(true|false)|sleep\(\s*(\d+)\s*\))$/;

function parse(source: string): Expression {
  const body = source.trim().replace(/;$/, '').trim();
  const alternatives = body.split('||').map((alternative) =>
    alternative.split('&&').map((raw): Term => {
      const match = TERM.exec(raw.trim());
      if (match === null) {
        throw new CommandError(
          ServerErrorCode.BadValue,
          `the simulator runs no JavaScript: $where understands only true, false and sleep(ms) joined by || and &&, not ${JSON.stringify(source)}`,
        );
      }
      return match[1] !== undefined
        ? { kind: 'literal', value: match[1] === 'true' }
        : { kind: 'sleep', ms: Number(match[2]) };
    }),
  );
  return alternatives;
}

/** Evaluates a term as JavaScript would: sleep spends its time and gives undefined (falsy). */
function term(value: Term): boolean {
  if (value.kind === 'literal') return value.value;
  spendServerTime(value.ms);
  return false;
}

function evaluate(expression: Expression): boolean {
  return expression.some((conjunction) => conjunction.every(term));
}

/**
 * The filter with each string `$where` (at top level or in $and/$or/$nor) replaced by a function
 * the query engine calls once per document, as mongod calls the JavaScript; `filter` itself when
 * there is none.
 */
export function compileWhereClauses(filter: Document): Document {
  let changed = false;
  const out: Document = {};
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$where' && typeof value === 'string') {
      const expression = parse(value);
      out[key] = () => evaluate(expression);
      changed = true;
    } else if ((key === '$and' || key === '$or' || key === '$nor') && Array.isArray(value)) {
      const clauses = value.map((clause: unknown) =>
        isPlainDocument(clause) ? compileWhereClauses(clause) : clause,
      );
      changed ||= clauses.some((clause, index) => clause !== value[index]);
      out[key] = clauses;
    } else {
      out[key] = value;
    }
  }
  return changed ? out : filter;
}
