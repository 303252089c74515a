import { invalidParameter } from '../core/errors.js'

/**
 * MLflow's search grammar: `expr (AND expr)*`, each `identifier comparator value`; no OR, no grouping.
 * Identifiers are `metrics.k`, `params.k`, `tags.k`, `attributes.k` (or a bare attribute), `datasets.k`,
 * with backticks or double quotes around keys that hold special characters.
 */
export type EntityType = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset'
export type Comparator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN'

export interface FilterClause {
  type: EntityType
  key: string
  comparator: Comparator
  value: string | number | string[]
}

export interface OrderByClause {
  type: EntityType
  key: string
  ascending: boolean
}

const ENTITY_PREFIXES: Record<string, EntityType> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  dataset: 'dataset',
  datasets: 'dataset',
}

const ATTRIBUTE_ALIASES: Record<string, string> = {
  'run name': 'run_name',
  runname: 'run_name',
  created: 'start_time',
  Created: 'start_time',
}

type Token =
  | { kind: 'ident'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'number'; value: number; text: string }
  | { kind: 'op'; text: string }
  | { kind: 'punct'; text: '(' | ')' | ',' }

function tokenize(input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < input.length) {
    const c = input[i]!
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (c === "'" || c === '"' || c === '`') {
      const end = input.indexOf(c, i + 1)
      if (end < 0) throw invalidParameter(`Invalid filter '${input}': unterminated quote starting at position ${i}.`)
      const text = input.slice(i + 1, end)
      // A backticked or double-quoted word right after a dot is part of an identifier.
      const last = tokens[tokens.length - 1]
      if (last?.kind === 'ident' && last.text.endsWith('.') && c !== "'") last.text += text
      else if (c === '`') tokens.push({ kind: 'ident', text })
      else tokens.push({ kind: 'string', text })
      i = end + 1
      continue
    }
    if (c === '(' || c === ')' || c === ',') {
      tokens.push({ kind: 'punct', text: c })
      i++
      continue
    }
    const op = /^(!=|>=|<=|=|>|<|<>)/.exec(input.slice(i))
    if (op) {
      tokens.push({ kind: 'op', text: op[1] === '<>' ? '!=' : op[1]! })
      i += op[1]!.length
      continue
    }
    const num = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?(?![\w.])/.exec(input.slice(i))
    if (num) {
      tokens.push({ kind: 'number', value: Number(num[0]), text: num[0] })
      i += num[0].length
      continue
    }
    const word = /^[A-Za-z_][\w.\-:/]*/.exec(input.slice(i))
    if (word) {
      tokens.push({ kind: 'ident', text: word[0] })
      i += word[0].length
      continue
    }
    throw invalidParameter(`Invalid filter '${input}': unexpected character '${c}' at position ${i}.`)
  }
  return tokens
}

function parseIdentifier(text: string, filter: string): { type: EntityType; key: string } {
  const dot = text.indexOf('.')
  if (dot > 0) {
    const type = ENTITY_PREFIXES[text.slice(0, dot).toLowerCase()]
    if (type !== undefined) {
      const key = text.slice(dot + 1)
      if (key === '') throw invalidParameter(`Invalid filter '${filter}': '${text}' names no key.`)
      return { type, key: type === 'attribute' ? (ATTRIBUTE_ALIASES[key] ?? key) : key }
    }
  }
  return { type: 'attribute', key: ATTRIBUTE_ALIASES[text] ?? text }
}

/** Parses a filter into clauses (syntax only; callers check which identifiers and comparators they allow). */
export function parseFilter(filter: string | undefined): FilterClause[] {
  if (filter === undefined || filter.trim() === '') return []
  const tokens = tokenize(filter)
  const clauses: FilterClause[] = []
  let i = 0
  const fail = (why: string): never => {
    throw invalidParameter(`Invalid filter '${filter}': ${why}. Example: metrics.auc > 0.9 AND params.model = 'gbdt'`)
  }
  while (i < tokens.length) {
    let identText: string
    const first = tokens[i]
    if (first?.kind !== 'ident') return fail('expected an identifier such as metrics.auc')
    identText = first.text
    i++
    // `run name` style two-word attribute
    const maybeSecond = tokens[i]
    if (identText.toLowerCase() === 'run' && maybeSecond?.kind === 'ident' && maybeSecond.text.toLowerCase() === 'name') {
      identText = 'run name'
      i++
    }
    const { type, key } = parseIdentifier(identText, filter)
    const opToken = tokens[i]
    let comparator: Comparator
    if (opToken?.kind === 'op') {
      comparator = opToken.text as Comparator
      i++
    } else if (opToken?.kind === 'ident') {
      const upper = opToken.text.toUpperCase()
      const next = tokens[i + 1]
      if (upper === 'NOT' && next?.kind === 'ident' && next.text.toUpperCase() === 'IN') {
        comparator = 'NOT IN'
        i += 2
      } else if (upper === 'LIKE' || upper === 'ILIKE' || upper === 'IN') {
        comparator = upper
        i++
      } else return fail(`unknown comparator '${opToken.text}'`)
    } else return fail(`expected a comparator after '${identText}'`)

    let value: FilterClause['value']
    if (comparator === 'IN' || comparator === 'NOT IN') {
      if (tokens[i]?.kind !== 'punct' || tokens[i]?.text !== '(') return fail(`${comparator} needs a list like ('a', 'b')`)
      i++
      const items: string[] = []
      for (;;) {
        const item = tokens[i]
        if (item?.kind !== 'string') return fail(`${comparator} lists hold quoted strings`)
        items.push(item.text)
        i++
        const sep = tokens[i]
        if (sep?.kind === 'punct' && sep.text === ',') {
          i++
          continue
        }
        if (sep?.kind === 'punct' && sep.text === ')') {
          i++
          break
        }
        return fail(`${comparator} list is not closed with ')'`)
      }
      value = items
    } else {
      const v = tokens[i]
      if (v?.kind === 'string') value = v.text
      else if (v?.kind === 'number') value = v.value
      else return fail(`expected a value after '${identText} ${comparator}'`)
      i++
    }
    clauses.push({ type, key, comparator, value })
    if (i < tokens.length) {
      const and = tokens[i]
      if (and?.kind !== 'ident' || and.text.toUpperCase() !== 'AND') return fail('clauses are joined with AND (OR is not supported)')
      i++
      if (i >= tokens.length) return fail('nothing follows the last AND')
    }
  }
  return clauses
}

const RUN_STRING_ATTRIBUTES = new Set(['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'lifecycle_stage'])
const RUN_NUMBER_ATTRIBUTES = new Set(['start_time', 'end_time'])
const NUMERIC_COMPARATORS = new Set<Comparator>(['=', '!=', '>', '>=', '<', '<='])
const STRING_COMPARATORS = new Set<Comparator>(['=', '!=', 'LIKE', 'ILIKE'])

/** Parses a `runs/search` filter and checks each clause against MLflow's rules for runs. */
export function parseRunFilter(filter: string | undefined): FilterClause[] {
  const clauses = parseFilter(filter)
  for (const clause of clauses) {
    const where = `'${clause.type === 'attribute' ? '' : clause.type + 's.'}${clause.key}'`
    const bad = (why: string): never => {
      throw invalidParameter(`Invalid filter '${filter}': ${why}.`)
    }
    switch (clause.type) {
      case 'metric':
        if (!NUMERIC_COMPARATORS.has(clause.comparator)) bad(`metrics compare with = != > >= < <=, not ${clause.comparator}`)
        if (typeof clause.value !== 'number') bad(`${where} must be compared with an unquoted number`)
        break
      case 'param':
      case 'tag':
        if (!STRING_COMPARATORS.has(clause.comparator)) bad(`${clause.type}s compare with = != LIKE ILIKE, not ${clause.comparator}`)
        if (typeof clause.value !== 'string') bad(`${where} must be compared with a quoted string`)
        break
      case 'dataset':
        if (!['name', 'digest', 'context'].includes(clause.key)) bad(`datasets have name, digest and context, not ${where}`)
        if (NUMERIC_COMPARATORS.has(clause.comparator) && !['=', '!='].includes(clause.comparator)) {
          bad(`datasets compare with = != LIKE ILIKE IN NOT IN`)
        }
        if (typeof clause.value === 'number') bad(`${where} must be compared with a quoted string`)
        break
      case 'attribute':
        if (RUN_NUMBER_ATTRIBUTES.has(clause.key)) {
          if (!NUMERIC_COMPARATORS.has(clause.comparator)) bad(`${where} compares with = != > >= < <=`)
          if (typeof clause.value !== 'number') bad(`${where} must be compared with an unquoted number`)
        } else if (RUN_STRING_ATTRIBUTES.has(clause.key)) {
          const inList = clause.comparator === 'IN' || clause.comparator === 'NOT IN'
          if (inList && clause.key !== 'run_id') bad(`IN and NOT IN work only for run_id`)
          if (!inList && !STRING_COMPARATORS.has(clause.comparator)) bad(`${where} compares with = != LIKE ILIKE`)
          if (typeof clause.value === 'number') bad(`${where} must be compared with a quoted string`)
        } else {
          bad(`unknown attribute ${where}; use run_id, run_name, status, user_id, artifact_uri, start_time or end_time`)
        }
        break
    }
  }
  return clauses
}

/** Parses one `order_by` item such as `metrics.rmse DESC`, `params.lr` or `start_time ASC`. */
export function parseOrderBy(item: string): OrderByClause {
  const match = /^\s*(.+?)(?:\s+(ASC|DESC))?\s*$/i.exec(item)
  if (match === null || match[1] === undefined) {
    throw invalidParameter(`Invalid order_by '${item}': use e.g. 'metrics.rmse DESC'.`)
  }
  const raw = match[1].trim()
  const tokens = tokenize(raw)
  const ident = tokens.length === 1 && tokens[0]?.kind === 'ident' ? tokens[0].text : raw === 'run name' ? 'run name' : undefined
  if (ident === undefined) throw invalidParameter(`Invalid order_by '${item}': use e.g. 'metrics.rmse DESC'.`)
  const { type, key } = parseIdentifier(ident, item)
  return { type, key, ascending: (match[2] ?? 'ASC').toUpperCase() === 'ASC' }
}

/** SQL LIKE semantics (`%`, `_`) in JS, for adapters and tests that filter in memory. */
export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let source = ''
  for (const ch of pattern) {
    if (ch === '%') source += '[\\s\\S]*'
    else if (ch === '_') source += '[\\s\\S]'
    else source += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '')
}
