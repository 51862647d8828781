package io.chronik.txn;

import io.chronik.testing.Clients;
import io.chronik.testing.RawKafkaClient;
import io.chronik.testing.TestBroker;
import org.apache.kafka.common.message.AddOffsetsToTxnRequestData;
import org.apache.kafka.common.message.AddOffsetsToTxnResponseData;
import org.apache.kafka.common.message.AddPartitionsToTxnRequestData;
import org.apache.kafka.common.message.AddPartitionsToTxnResponseData;
import org.apache.kafka.common.message.DescribeTransactionsRequestData;
import org.apache.kafka.common.message.DescribeTransactionsResponseData;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.EndTxnResponseData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every advertised version of the coordinator's transaction APIs over the wire, against a broker alone: a
 * transaction per version (InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, EndTxn), the errors Kafka answers
 * for wrong transitions and fenced producers (INVALID_PRODUCER_EPOCH before KIP-588's versions), DescribeTransactions
 * and ListTransactions.
 */
@Timeout(120)
class TransactionVersionsTest {
    private static Path dataDir;
    private static TestBroker broker;
    private static int correlation = 1;

    @BeforeAll
    static void start() throws Exception {
        dataDir = Files.createTempDirectory("chronik-txn-versions");
        broker = TestBroker.start(dataDir);
        Clients.createTopic(broker, "versions", 1);
    }

    @AfterAll
    static void stop() {
        broker.close();
    }

    @SuppressWarnings("unchecked")
    private static <T extends ApiMessage> T call(ApiKeys key, int version, ApiMessage request) throws Exception {
        try (RawKafkaClient client = new RawKafkaClient(broker.port())) {
            client.send(request, (short) version, correlation);
            RawKafkaClient.Response response = client.receive(key.responseHeaderVersion((short) version));
            assertThat(response.correlationId()).isEqualTo(correlation++);
            return (T) AbstractResponse.parseResponse(key, new ByteBufferAccessor(response.body()), (short) version).data();
        }
    }

    /** InitProducerId, retried while the coordinator's partitions are created and loaded. */
    private static InitProducerIdResponseData init(String id, int version) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            InitProducerIdResponseData response = call(ApiKeys.INIT_PRODUCER_ID, version,
                    new InitProducerIdRequestData().setTransactionalId(id).setTransactionTimeoutMs(60_000));
            Errors error = Errors.forCode(response.errorCode());
            if (error == Errors.NONE || !(error.exception() instanceof
                    org.apache.kafka.common.errors.RetriableException) || System.nanoTime() > deadline) {
                return response;
            }
            Thread.sleep(50);
        }
    }

    /** FindCoordinator for a transactional id, retried while the coordinator's topic is created. */
    private static FindCoordinatorResponseData findCoordinator(String id, int version) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            FindCoordinatorResponseData found = call(ApiKeys.FIND_COORDINATOR, version, new FindCoordinatorRequestData()
                    .setKey(id).setKeyType((byte) 1));
            if (found.errorCode() != Errors.COORDINATOR_NOT_AVAILABLE.code() || System.nanoTime() > deadline) {
                return found;
            }
            Thread.sleep(50);
        }
    }

    private static AddPartitionsToTxnRequestData addPartitions(String id, InitProducerIdResponseData producer) {
        AddPartitionsToTxnRequestData request = new AddPartitionsToTxnRequestData().setV3AndBelowTransactionalId(id)
                .setV3AndBelowProducerId(producer.producerId()).setV3AndBelowProducerEpoch(producer.producerEpoch());
        request.v3AndBelowTopics().add(new AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic().setName("versions")
                .setPartitions(List.of(0)));
        return request;
    }

    private static List<Short> partitionErrors(AddPartitionsToTxnResponseData response) {
        return response.resultsByTopicV3AndBelow().stream().flatMap(t -> t.resultsByPartition().stream())
                .map(AddPartitionsToTxnResponseData.AddPartitionsToTxnPartitionResult::partitionErrorCode).toList();
    }

    private static Errors endTxn(String id, InitProducerIdResponseData producer, boolean commit, int version) throws Exception {
        EndTxnResponseData response = call(ApiKeys.END_TXN, version, new EndTxnRequestData().setTransactionalId(id)
                .setProducerId(producer.producerId()).setProducerEpoch(producer.producerEpoch()).setCommitted(commit));
        return Errors.forCode(response.errorCode());
    }

    @Test
    void everyVersionRunsATransaction() throws Exception {
        for (int v = 0; v <= 4; v++) {
            String id = "versions-" + v;
            FindCoordinatorResponseData found = findCoordinator(id, Math.min(Math.max(1, v), 3));
            assertThat(Errors.forCode(found.errorCode())).isEqualTo(Errors.NONE);
            assertThat(found.port()).isEqualTo(broker.port());
            InitProducerIdResponseData producer = init(id, Math.min(v + 1, 5));
            assertThat(Errors.forCode(producer.errorCode())).as("InitProducerId v%d", Math.min(v + 1, 5)).isEqualTo(Errors.NONE);
            assertThat(producer.producerEpoch()).isZero();
            // Ending a transaction that never began is a wrong transition.
            assertThat(endTxn(id, producer, true, v)).isEqualTo(Errors.INVALID_TXN_STATE);
            AddPartitionsToTxnResponseData added = call(ApiKeys.ADD_PARTITIONS_TO_TXN, Math.min(v, 3), addPartitions(id, producer));
            assertThat(partitionErrors(added)).as("AddPartitionsToTxn v%d", Math.min(v, 3)).containsExactly(Errors.NONE.code());
            AddOffsetsToTxnResponseData offsets = call(ApiKeys.ADD_OFFSETS_TO_TXN, v, new AddOffsetsToTxnRequestData()
                    .setTransactionalId(id).setProducerId(producer.producerId()).setProducerEpoch(producer.producerEpoch())
                    .setGroupId("versions-group"));
            assertThat(Errors.forCode(offsets.errorCode())).as("AddOffsetsToTxn v%d", v).isEqualTo(Errors.NONE);
            // Committing an ongoing transaction, then aborting it, is a wrong transition; committing again is a retry.
            assertThat(endTxn(id, producer, true, v)).as("EndTxn v%d", v).isEqualTo(Errors.NONE);
            Errors again = endTxn(id, producer, true, v);
            for (int i = 0; i < 600 && again == Errors.CONCURRENT_TRANSACTIONS; i++) { // until the markers are written
                Thread.sleep(50);
                again = endTxn(id, producer, true, v);
            }
            assertThat(again).isEqualTo(Errors.NONE);
            assertThat(endTxn(id, producer, false, v)).isEqualTo(Errors.INVALID_TXN_STATE);
            // A stale epoch is fenced once a new producer initialised the id.
            InitProducerIdResponseData successor = init(id, 4);
            assertThat(successor.producerEpoch()).isEqualTo((short) 1);
            assertThat(endTxn(id, producer, false, v)).isEqualTo(v < 2 ? Errors.INVALID_PRODUCER_EPOCH : Errors.PRODUCER_FENCED);
        }
    }

    private static EndTxnResponseData endTxnV5(String id, long producerId, short epoch, boolean commit) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            EndTxnResponseData response = call(ApiKeys.END_TXN, 5, new EndTxnRequestData().setTransactionalId(id)
                    .setProducerId(producerId).setProducerEpoch(epoch).setCommitted(commit));
            if (response.errorCode() != Errors.CONCURRENT_TRANSACTIONS.code() || System.nanoTime() > deadline) {
                return response;
            }
            Thread.sleep(50);
        }
    }

    @Test
    void endTxnVersion5BumpsTheEpochRecognisesARetryAndAbortsAnEmptyTransaction() throws Exception {
        String id = "tv2-wire";
        assertThat(Errors.forCode(findCoordinator(id, 3).errorCode())).isEqualTo(Errors.NONE);
        InitProducerIdResponseData producer = init(id, 5);
        long pid = producer.producerId();
        short epoch = producer.producerEpoch();
        assertThat(partitionErrors(call(ApiKeys.ADD_PARTITIONS_TO_TXN, 3, addPartitions(id, producer))))
                .containsExactly(Errors.NONE.code());
        EndTxnResponseData committed = endTxnV5(id, pid, epoch, true);
        assertThat(Errors.forCode(committed.errorCode())).isEqualTo(Errors.NONE);
        assertThat(committed.producerId()).isEqualTo(pid);
        assertThat(committed.producerEpoch()).isEqualTo((short) (epoch + 1));
        // The same EndTxn again (its answer lost): the same answer, no second bump.
        EndTxnResponseData retried = endTxnV5(id, pid, epoch, true);
        assertThat(Errors.forCode(retried.errorCode())).isEqualTo(Errors.NONE);
        assertThat(retried.producerEpoch()).isEqualTo((short) (epoch + 1));
        // An abort with nothing open bumps the epoch again; the older epochs are fenced from then on.
        EndTxnResponseData aborted = endTxnV5(id, pid, (short) (epoch + 1), false);
        assertThat(Errors.forCode(aborted.errorCode())).isEqualTo(Errors.NONE);
        assertThat(aborted.producerEpoch()).isEqualTo((short) (epoch + 2));
        assertThat(Errors.forCode(endTxnV5(id, pid, epoch, true).errorCode())).isEqualTo(Errors.PRODUCER_FENCED);
        DescribeTransactionsResponseData described = call(ApiKeys.DESCRIBE_TRANSACTIONS, 0,
                new DescribeTransactionsRequestData().setTransactionalIds(List.of(id)));
        assertThat(described.transactionStates().get(0).producerEpoch()).isEqualTo((short) (epoch + 2));
    }

    @Test
    void apiVersionsAdvertisesTransactionVersion2() throws Exception {
        org.apache.kafka.common.message.ApiVersionsResponseData versions = call(ApiKeys.API_VERSIONS, 3,
                new org.apache.kafka.common.message.ApiVersionsRequestData().setClientSoftwareName("test")
                        .setClientSoftwareVersion("1"));
        assertThat(versions.finalizedFeaturesEpoch()).isNotNegative();
        var finalized = versions.finalizedFeatures().find("transaction.version");
        assertThat(finalized.maxVersionLevel()).isEqualTo((short) 2);
        var supported = versions.supportedFeatures().find("transaction.version");
        assertThat(supported.minVersion()).isZero();
        assertThat(supported.maxVersion()).isEqualTo((short) 2);
        assertThat(versions.apiKeys().find(ApiKeys.END_TXN.id).maxVersion()).isEqualTo((short) 5);
    }

    @Test
    void describeAndListShowOngoingTransactions() throws Exception {
        String id = "described";
        assertThat(Errors.forCode(findCoordinator(id, 3).errorCode())).isEqualTo(Errors.NONE);
        InitProducerIdResponseData producer = init(id, 4);
        assertThat(Errors.forCode(producer.errorCode())).isEqualTo(Errors.NONE);
        assertThat(partitionErrors(call(ApiKeys.ADD_PARTITIONS_TO_TXN, 3, addPartitions(id, producer))))
                .containsExactly(Errors.NONE.code());
        DescribeTransactionsResponseData described = call(ApiKeys.DESCRIBE_TRANSACTIONS, 0,
                new DescribeTransactionsRequestData().setTransactionalIds(List.of(id, "unknown-id")));
        var state = described.transactionStates().get(0);
        assertThat(state.errorCode()).isZero();
        assertThat(state.transactionState()).isEqualTo("Ongoing");
        assertThat(state.producerId()).isEqualTo(producer.producerId());
        assertThat(state.transactionTimeoutMs()).isEqualTo(60_000);
        assertThat(state.topics()).hasSize(1);
        assertThat(state.topics().iterator().next().partitions()).containsExactly(0);
        assertThat(Errors.forCode(described.transactionStates().get(1).errorCode())).isEqualTo(Errors.TRANSACTIONAL_ID_NOT_FOUND);

        ListTransactionsResponseData ongoing = call(ApiKeys.LIST_TRANSACTIONS, 1,
                new ListTransactionsRequestData().setStateFilters(List.of("Ongoing", "NoSuchState")).setDurationFilter(-1));
        assertThat(ongoing.transactionStates()).anyMatch(t -> t.transactionalId().equals(id));
        assertThat(ongoing.transactionStates()).allMatch(t -> t.transactionState().equals("Ongoing"));
        assertThat(ongoing.unknownStateFilters()).containsExactly("NoSuchState");
        ListTransactionsResponseData byProducer = call(ApiKeys.LIST_TRANSACTIONS, 0,
                new ListTransactionsRequestData().setProducerIdFilters(List.of(producer.producerId())));
        assertThat(byProducer.transactionStates()).singleElement().satisfies(t -> assertThat(t.transactionalId()).isEqualTo(id));
        ListTransactionsResponseData longRunning = call(ApiKeys.LIST_TRANSACTIONS, 1,
                new ListTransactionsRequestData().setStateFilters(List.of("Ongoing")).setDurationFilter(3_600_000));
        assertThat(longRunning.transactionStates()).isEmpty();
        assertThat(endTxn(id, producer, false, 4)).isEqualTo(Errors.NONE);
    }

    private static InitProducerIdResponseData recover(String id, long producerId, short epoch) throws Exception {
        return call(ApiKeys.INIT_PRODUCER_ID, 4, new InitProducerIdRequestData().setTransactionalId(id)
                .setTransactionTimeoutMs(60_000).setProducerId(producerId).setProducerEpoch(epoch));
    }

    @Test
    void kip360RecoveryBumpsTheCurrentEpochRecognisesARetryAndFencesOthers() throws Exception {
        String id = "recovering";
        assertThat(Errors.forCode(findCoordinator(id, 3).errorCode())).isEqualTo(Errors.NONE);
        InitProducerIdResponseData first = init(id, 4);
        assertThat(first.producerEpoch()).isZero();
        // Begin a transaction and abort it, as a producer does before recovering from an abortable error.
        assertThat(partitionErrors(call(ApiKeys.ADD_PARTITIONS_TO_TXN, 3, addPartitions(id, first))))
                .containsExactly(Errors.NONE.code());
        assertThat(endTxn(id, first, false, 4)).isEqualTo(Errors.NONE);
        InitProducerIdResponseData bumped = recover(id, first.producerId(), first.producerEpoch());
        for (int i = 0; i < 600 && bumped.errorCode() == Errors.CONCURRENT_TRANSACTIONS.code(); i++) { // markers pending
            Thread.sleep(50);
            bumped = recover(id, first.producerId(), first.producerEpoch());
        }
        assertThat(Errors.forCode(bumped.errorCode())).isEqualTo(Errors.NONE);
        assertThat(bumped.producerId()).isEqualTo(first.producerId());
        assertThat(bumped.producerEpoch()).isEqualTo((short) 1);
        // The same request again (its answer lost): the same epoch, not another bump.
        InitProducerIdResponseData retried = recover(id, first.producerId(), first.producerEpoch());
        assertThat(Errors.forCode(retried.errorCode())).isEqualTo(Errors.NONE);
        assertThat(retried.producerEpoch()).isEqualTo((short) 1);
        // Neither an unknown epoch nor another producer id may recover.
        assertThat(Errors.forCode(recover(id, first.producerId(), (short) 7).errorCode())).isEqualTo(Errors.PRODUCER_FENCED);
        assertThat(Errors.forCode(recover(id, first.producerId() + 1000, (short) 1).errorCode())).isEqualTo(Errors.PRODUCER_FENCED);
        // An InitProducerId without producer id (a new producer instance) bumps again.
        assertThat(init(id, 4).producerEpoch()).isEqualTo((short) 2);
    }

    @Test
    void aTimeoutAboveTheMaximumIsRefused() throws Exception {
        assertThat(Errors.forCode(findCoordinator("too-long", 3).errorCode())).isEqualTo(Errors.NONE);
        InitProducerIdResponseData response = call(ApiKeys.INIT_PRODUCER_ID, 4, new InitProducerIdRequestData()
                .setTransactionalId("too-long").setTransactionTimeoutMs(15 * 60_000 + 1));
        assertThat(Errors.forCode(response.errorCode())).isEqualTo(Errors.INVALID_TRANSACTION_TIMEOUT);
    }
}
