// A kafkajs transactional producer: a committed transaction, a non-transactional message, an aborted transaction and
// another committed one; a kafkajs consumer (read_committed, kafkajs's default) must read exactly the committed and
// non-transactional messages, in order. BOOTSTRAP and TOPIC come from the environment.
const { Kafka, logLevel } = require('kafkajs');
const topic = process.env.TOPIC || 'kafkajs-txn';
const sleep = ms => new Promise(r => setTimeout(r, ms));

(async () => {
  const kafka = new Kafka({ brokers: [process.env.BOOTSTRAP || '127.0.0.1:9092'], clientId: 'kjs-t', logLevel: logLevel.NOTHING });
  const admin = kafka.admin(); await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });

  const txn = kafka.producer({ transactionalId: topic + '-txn', idempotent: true, maxInFlightRequests: 1 });
  await txn.connect();
  const plain = kafka.producer(); await plain.connect();
  let t = await txn.transaction();
  await t.send({ topic, messages: [{ value: 't1' }, { value: 't2' }] });
  await t.commit();
  await plain.send({ topic, messages: [{ value: 'p1' }] });
  t = await txn.transaction();
  await t.send({ topic, messages: [{ value: 'a1' }] });
  await t.abort();
  t = await txn.transaction();
  await t.send({ topic, messages: [{ value: 't3' }] });
  await t.commit();

  const values = [];
  const consumer = kafka.consumer({ groupId: topic + '-group', readUncommitted: false });
  await consumer.connect(); await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { values.push(message.value.toString()); } });
  const deadline = Date.now() + 60000;
  while (values.length < 4 && Date.now() < deadline) await sleep(100);
  await sleep(1000);
  console.log(JSON.stringify({ values }));
  await consumer.disconnect(); await txn.disconnect(); await plain.disconnect(); await admin.disconnect();
  process.exit(JSON.stringify(values) === JSON.stringify(['t1', 't2', 'p1', 't3']) ? 0 : 1);
})().catch(e => { console.error('FAILED', e); process.exit(1); });
