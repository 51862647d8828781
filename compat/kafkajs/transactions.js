// kafkajs transactions: a transactional producer commits one transaction (with the consumer group's offsets sent
// inside it) and aborts another, with non-transactional messages in between; a read_committed consumer must see
// exactly the committed and the non-transactional messages, and the group's offsets must be those of the committed
// transaction only. BOOTSTRAP and TOPIC come from the environment. Prints one JSON line; exit code 0 when all holds.
const { Kafka, logLevel } = require('kafkajs');
const topic = process.env.TOPIC || 'kafkajs-txn';
const sleep = ms => new Promise(r => setTimeout(r, ms));

(async () => {
  const kafka = new Kafka({ brokers: [process.env.BOOTSTRAP || '127.0.0.1:9092'], clientId: 'kjs-txn', logLevel: logLevel.NOTHING });
  const admin = kafka.admin(); await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });

  const producer = kafka.producer({ transactionalId: topic + '-tx', maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  const plain = kafka.producer(); await plain.connect();

  const committed = await producer.transaction();
  await committed.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: 'k' + i, value: 'committed-' + i })) });
  await committed.sendOffsets({ consumerGroupId: topic + '-group', topics: [{ topic, partitions: [{ partition: 0, offset: '42' }] }] });
  await committed.commit();

  await plain.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ key: 'p' + i, value: 'plain-' + i })) });

  const aborted = await producer.transaction();
  await aborted.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: 'k' + i, value: 'aborted-' + i })) });
  await aborted.sendOffsets({ consumerGroupId: topic + '-group', topics: [{ topic, partitions: [{ partition: 0, offset: '99' }] }] });
  await aborted.abort();

  const last = await producer.transaction();
  await last.send({ topic, messages: [{ key: 'last', value: 'committed-last' }] });
  await last.commit();

  const seen = [];
  const consumer = kafka.consumer({ groupId: topic + '-reader', readUncommitted: false });
  await consumer.connect(); await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value.toString()); } });
  let deadline = Date.now() + 60000;
  while (seen.length < 16 && Date.now() < deadline) await sleep(100);
  await sleep(1000);

  const offsets = await admin.fetchOffsets({ groupId: topic + '-group', topics: [topic] });
  const p0 = offsets[0].partitions.find(p => p.partition === 0).offset;
  const result = {
    seen: seen.length,
    committed: seen.filter(v => v.startsWith('committed-')).length,
    plain: seen.filter(v => v.startsWith('plain-')).length,
    aborted: seen.filter(v => v.startsWith('aborted-')).length,
    groupOffset: p0,
  };
  console.log(JSON.stringify(result));
  await consumer.disconnect(); await producer.disconnect(); await plain.disconnect(); await admin.disconnect();
  const ok = result.seen === 16 && result.committed === 11 && result.plain === 5 && result.aborted === 0 && p0 === '42';
  process.exit(ok ? 0 : 1);
})().catch(e => { console.error('FAILED', e); process.exit(1); });
