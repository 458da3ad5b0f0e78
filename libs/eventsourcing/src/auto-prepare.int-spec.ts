// Server-side prepared statements for what a service repeats (auto-prepare.ts), against PostgreSQL: a
// parameterised statement is prepared on its connection from its third call, through TypeORM's manager and
// inside transactions too, with the same results; statements without parameters never are; a statement
// that fails to parse is not taken for prepared; a prepared `SELECT *` whose table gained a column fails
// once and is prepared afresh; MESHFAB_DB_AUTO_PREPARE=false (autoPrepare: false) turns it off.
import type { EntityManager, QueryRunner } from 'typeorm';
import { dropSchema, testDatabaseUrl, uniqueSchema } from '#libs/testing';
import { StatementNames } from './auto-prepare.js';
import { ServiceDatabase } from './service-database.module.js';

/** The statements this connection prepared by name (ours start with `mf_`). */
const prepared = async (m: EntityManager): Promise<{ name: string; statement: string }[]> =>
  m.query(`SELECT name, statement FROM pg_prepared_statements WHERE name LIKE 'mf\\_%' ORDER BY prepare_time`);

describe('auto-prepared statements', () => {
  const schema = uniqueSchema('auto_prep');
  const off = uniqueSchema('auto_prep_off');
  let db: ServiceDatabase;
  let dbOff: ServiceDatabase;
  // One connection each, held by the test, so that every call lands on the connection it looks at.
  let runner: QueryRunner;
  let runnerOff: QueryRunner;

  beforeAll(async () => {
    db = await ServiceDatabase.open({ url: testDatabaseUrl(), schema, poolSize: 2 });
    dbOff = await ServiceDatabase.open({ url: testDatabaseUrl(), schema: off, poolSize: 2, autoPrepare: false });
    runner = db.dataSource.createQueryRunner();
    runnerOff = dbOff.dataSource.createQueryRunner();
    await runner.connect();
    await runnerOff.connect();
    await runner.query(`CREATE TABLE "${schema}".items (id int PRIMARY KEY, label text NOT NULL)`);
  });
  afterAll(async () => {
    await runner?.release();
    await runnerOff?.release();
    await db?.close();
    await dbOff?.close();
    await dropSchema(testDatabaseUrl(), schema);
    await dropSchema(testDatabaseUrl(), off);
  });

  it('prepares a parameterised statement on its third call, and answers as before', async () => {
    const text = `SELECT $1::int + 1 AS n, $2::text AS label`;
    const answers: unknown[] = [];
    for (let i = 0; i < 5; i++) answers.push(...(await runner.query(text, [i, `call ${i}`])));
    expect(answers).toEqual([0, 1, 2, 3, 4].map((i) => ({ n: i + 1, label: `call ${i}` })));
    const statements = (await prepared(runner.manager)).filter((s) => s.statement === text);
    expect(statements).toHaveLength(1);
    // On the connection without it, nothing is prepared.
    for (let i = 0; i < 5; i++) await runnerOff.query(text, [i, 'x']);
    expect(await prepared(runnerOff.manager)).toEqual([]);
  });

  it('in transactions through the manager as well; never a statement without parameters', async () => {
    const insert = `INSERT INTO "${schema}".items (id, label) VALUES ($1, $2)`;
    for (let i = 1; i <= 4; i++) {
      await runner.startTransaction();
      await runner.manager.query(insert, [i, `item ${i}`]);
      await runner.manager.query(`SELECT count(*) FROM "${schema}".items`);
      await runner.commitTransaction();
    }
    const rows: { id: number; label: string }[] = await db.dataSource.query(`SELECT id, label FROM "${schema}".items ORDER BY id`);
    expect(rows).toEqual([1, 2, 3, 4].map((id) => ({ id, label: `item ${id}` })));
    const statements = (await prepared(runner.manager)).map((s) => s.statement);
    expect(statements).toContain(insert);
    expect(statements.some((s) => s.startsWith('SELECT count(*)'))).toBe(false);
  });

  it('a statement that failed to parse is parsed again once it can be', async () => {
    const text = `SELECT label FROM "${schema}".later WHERE id = $1`;
    for (let i = 0; i < 4; i++) await expect(runner.query(text, [1])).rejects.toMatchObject({ driverError: { code: '42P01' } });
    await runner.query(`CREATE TABLE "${schema}".later (id int PRIMARY KEY, label text NOT NULL)`);
    await runner.query(`INSERT INTO "${schema}".later VALUES (1, 'here')`);
    expect(await runner.query(text, [1])).toEqual([{ label: 'here' }]);
    expect((await prepared(runner.manager)).map((s) => s.statement)).toContain(text);
  });

  it('a prepared SELECT * whose table gained a column fails once, then is prepared afresh', async () => {
    await runner.query(`CREATE TABLE "${schema}".shapes (id int PRIMARY KEY, a text)`);
    await runner.query(`INSERT INTO "${schema}".shapes VALUES (1, 'one')`);
    const text = `SELECT * FROM "${schema}".shapes WHERE id = $1`;
    for (let i = 0; i < 3; i++) expect(await runner.query(text, [1])).toEqual([{ id: 1, a: 'one' }]);
    // A newer instance's migration, while this one runs.
    await db.dataSource.query(`ALTER TABLE "${schema}".shapes ADD COLUMN b text NOT NULL DEFAULT 'two'`);
    await expect(runner.query(text, [1])).rejects.toMatchObject({ driverError: { code: '0A000' } });
    expect(await runner.query(text, [1])).toEqual([{ id: 1, a: 'one', b: 'two' }]);
    expect(await runner.query(text, [1])).toEqual([{ id: 1, a: 'one', b: 'two' }]);
  });
});

describe('StatementNames', () => {
  it('names a text from its third call on, always with the same name', () => {
    const names = new StatementNames();
    expect(names.nameFor('SELECT $1')).toBeUndefined();
    expect(names.nameFor('SELECT $1')).toBeUndefined();
    const name = names.nameFor('SELECT $1');
    expect(name).toMatch(/^mf_[0-9a-f]{40}$/);
    expect(names.nameFor('SELECT $1')).toBe(name);
    expect(new StatementNames({ threshold: 0 }).nameFor('SELECT $1')).toBe(name);
  });

  it('names at most maxStatements texts, and never one longer than maxTextLength', () => {
    const names = new StatementNames({ threshold: 0, maxStatements: 2, maxTextLength: 20 });
    expect(names.nameFor('SELECT $1 -- a')).toBeDefined();
    expect(names.nameFor('SELECT $1 -- b')).toBeDefined();
    expect(names.nameFor('SELECT $1 -- c')).toBeUndefined();
    expect(names.nameFor('SELECT $1 -- a')).toBeDefined();
    expect(new StatementNames({ threshold: 0, maxTextLength: 20 }).nameFor(`SELECT $1 -- ${'x'.repeat(20)}`)).toBeUndefined();
    expect(names.size).toBe(2);
  });

  it('a forgotten text gets a new name', () => {
    const names = new StatementNames({ threshold: 0 });
    const first = names.nameFor('SELECT * FROM t WHERE id = $1');
    names.forget('SELECT * FROM t WHERE id = $1');
    const second = names.nameFor('SELECT * FROM t WHERE id = $1');
    expect(second).toBe(`${first}_1`);
  });
});
