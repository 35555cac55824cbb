using System.Net.Sockets;
using Grpc.Core;
using NukeContainers.Session.Proto;
using NukeContainers.Session.Proto.Health;
using NukeContainers.Session.Proto.Ssh;

namespace NukeContainers.Session;

/// The engine asks every second whether the session is alive; it drops the session when this does not answer.
internal sealed class HealthService : Health.HealthBase
{
    private static readonly Task<HealthCheckResponse> Serving = Task.FromResult(new HealthCheckResponse { Status = HealthCheckResponse.Types.ServingStatus.Serving });

    public override Task<HealthCheckResponse> Check(HealthCheckRequest request, ServerCallContext context) => Serving;
}

/// <summary>
/// FileSend.DiffCopy: an exporter's output, sent as it is made (BuildKit's oci exporter writes its archive through it),
/// handed to the session's <see cref="BuildSession.ExportReceiver"/>. The exporter ends when this returns.
/// </summary>
internal sealed class FileSendService : FileSend.FileSendBase
{
    public override async Task DiffCopy(IAsyncStreamReader<Proto.BytesMessage> requestStream, IServerStreamWriter<Proto.BytesMessage> responseStream, ServerCallContext context)
    {
        var receive = SessionHost.SessionOf(context).ExportReceiver
                      ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, "this build exports nothing to the client"));
        await receive(async (output, cancellationToken) =>
        {
            while (await requestStream.MoveNext(cancellationToken)) await output.WriteAsync(requestStream.Current.Data.Memory, cancellationToken);
        }, context.CancellationToken);
    }
}

/// <summary>
/// Secrets.GetSecret: the value of a <c>RUN --mount=type=secret,id=ID</c>, read from its source when the RUN asks.
/// One the build does not declare is NotFound, which BuildKit takes as "not there" (an error only for
/// <c>required=true</c>, the docker CLI's answer too).
/// </summary>
internal sealed class SecretsService : Secrets.SecretsBase
{
    public override Task<GetSecretResponse> GetSecret(GetSecretRequest request, ServerCallContext context)
    {
        var session = SessionHost.SessionOf(context);
        if (!session.Secrets.TryGetValue(request.ID, out var secret))
            throw new RpcException(new Status(StatusCode.NotFound, $"secret {request.ID} not found"));
        session.Log($"The build read the secret '{request.ID}' ({secret}).");
        return Task.FromResult(new GetSecretResponse { Data = Google.Protobuf.ByteString.CopyFrom(secret.Value) });
    }
}

/// <summary>
/// SSH forwarding for <c>RUN --mount=type=ssh</c>: CheckAgent says whether an agent is configured for an id, and
/// ForwardAgent carries the agent protocol's bytes between the RUN's socket and the user's agent socket.
/// </summary>
internal sealed class SshService : SSH.SSHBase
{
    private const string IdKey = "buildkit.ssh.id";

    public override Task<CheckAgentResponse> CheckAgent(CheckAgentRequest request, ServerCallContext context)
    {
        var session = SessionHost.SessionOf(context);
        var id = request.ID is { Length: > 0 } given ? given : "default";
        return session.SshAgents.ContainsKey(id) ? Task.FromResult(new CheckAgentResponse())
            : throw new RpcException(new Status(StatusCode.NotFound, $"unset ssh forward key {id}"));
    }

    public override async Task ForwardAgent(IAsyncStreamReader<Proto.Ssh.BytesMessage> requestStream, IServerStreamWriter<Proto.Ssh.BytesMessage> responseStream, ServerCallContext context)
    {
        var session = SessionHost.SessionOf(context);
        var id = context.RequestHeaders.GetValue(IdKey) is { Length: > 0 } given ? given : "default";
        if (!session.SshAgents.TryGetValue(id, out var socketPath))
            throw new RpcException(new Status(StatusCode.NotFound, $"unset ssh forward key {id}"));
        using var agent = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await agent.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), context.CancellationToken);
        }
        catch (SocketException e)
        {
            session.Log($"The SSH agent for '{id}' at {socketPath} does not answer ({e.Message}): start one (eval $(ssh-agent); ssh-add) or point the build at its socket.");
            throw new RpcException(new Status(StatusCode.Unavailable, $"the SSH agent for {id} does not answer"));
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        var toAgent = Task.Run(async () =>
        {
            while (await requestStream.MoveNext(stop.Token))
                await agent.SendAsync(requestStream.Current.Data.Memory, stop.Token);
            agent.Shutdown(SocketShutdown.Send);
        }, stop.Token);
        var buffer = new byte[16 * 1024];
        try
        {
            while (await agent.ReceiveAsync(buffer, stop.Token) is var read and > 0)
                await responseStream.WriteAsync(new Proto.Ssh.BytesMessage { Data = Google.Protobuf.ByteString.CopyFrom(buffer, 0, read) }, stop.Token);
        }
        finally
        {
            await stop.CancelAsync();
            try { await toAgent; } catch (Exception e) when (e is OperationCanceledException or SocketException or IOException) { }
        }
    }
}

/// <summary>
/// Auth.Credentials: the user name and password for a registry the build pulls from (a FROM or a cache import), from
/// the credentials the build was given for it or else the docker config, the same store the push step reads. No
/// credentials is an empty answer: the engine then pulls anonymously.
/// </summary>
internal sealed class AuthService : Auth.AuthBase
{
    public override async Task<CredentialsResponse> Credentials(CredentialsRequest request, ServerCallContext context)
    {
        var session = SessionHost.SessionOf(context);
        var credentials = await session.FindCredentialsAsync(request.Host, context.CancellationToken);
        if (credentials is null) return new CredentialsResponse();
        session.Log($"The engine pulls from {request.Host} as {credentials.Username}.");
        return new CredentialsResponse { Username = credentials.Username, Secret = credentials.Password };
    }
}
