// kafkajs against a cluster: an idempotent acks=all producer sends COUNT values PREFIX-0.. to partition 0 of TOPIC
// through the bootstrap list BOOTSTRAP (comma-separated, dead brokers allowed), then a consumer in a new group
// reads the partition from the beginning. Passes when the partition holds exactly EXPECT records, each value once,
// and every value this run sent is at the offset its acknowledgement named. Prints one JSON line.
const { Kafka, logLevel } = require('kafkajs');
const brokers = (process.env.BOOTSTRAP || '127.0.0.1:9092').split(',');
const topic = process.env.TOPIC;
const prefix = process.env.PREFIX || 'kjs';
const count = Number(process.env.COUNT || 100);
const expect = Number(process.env.EXPECT || count);
const sleep = ms => new Promise(r => setTimeout(r, ms));

(async () => {
  const kafka = new Kafka({
    brokers, clientId: 'kjs-cluster-' + prefix, logLevel: logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: 10000,
    retry: { retries: 12, initialRetryTime: 300, maxRetryTime: 3000 },
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const acked = new Map(); // value -> offset
  for (let i = 0; i < count; i += 25) {
    const values = Array.from({ length: Math.min(25, count - i) }, (_, j) => `${prefix}-${i + j}`);
    const [meta] = await producer.send({ topic, acks: -1, messages: values.map(value => ({ value, partition: 0 })) });
    values.forEach((v, j) => acked.set(v, Number(meta.baseOffset) + j));
  }
  await producer.disconnect();

  const byOffset = new Map(); const times = new Map();
  const consumer = kafka.consumer({ groupId: `${topic}-${prefix}-reader`, sessionTimeout: 10000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ partition, message }) => {
    if (partition !== 0) return;
    const v = message.value.toString();
    byOffset.set(Number(message.offset), v); times.set(v, (times.get(v) || 0) + 1);
  } });
  const deadline = Date.now() + 60000;
  while (byOffset.size < expect && Date.now() < deadline) await sleep(200);
  await sleep(500);
  await consumer.disconnect();

  const misplaced = [...acked].filter(([v, o]) => byOffset.get(o) !== v).length;
  const dupes = [...times.values()].filter(n => n > 1).length;
  console.log(JSON.stringify({ acked: acked.size, read: byOffset.size, misplaced, dupes }));
  process.exit(acked.size === count && byOffset.size === expect && misplaced === 0 && dupes === 0 ? 0 : 1);
})().catch(e => { console.error('FAILED', e); process.exit(1); });
