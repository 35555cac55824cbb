using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace NukeContainers.Tests;

/// A registry whose storage fails: in front of the real local registry, on a loopback port of its own, it passes reads
/// through and answers every upload (PUT and PATCH) with 500 and a Distribution error body, as a registry with a full
/// or broken disk does. A test stand-in for a fault the real registry cannot be made to have on demand.
internal sealed class FailingRegistry : IAsyncDisposable
{
    public const string Failure = "simulated storage failure: no space left on device";

    private readonly WebApplication _app;
    private readonly HttpClient _registry = new() { BaseAddress = new Uri($"http://{EngineFixture.RegistryAddress}") };

    public FailingRegistry()
    {
        var port = EngineFixture.FreePort();
        Address = $"127.0.0.1:{port}";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, port));
        _app = builder.Build();
        _app.Run(HandleAsync);
        _app.StartAsync().GetAwaiter().GetResult();
    }

    public string Address { get; }

    /// How many uploads it failed.
    public int Failed { get; private set; }

    private async Task HandleAsync(HttpContext context)
    {
        if (context.Request.Method is "PUT" or "PATCH")
        {
            Failed++;
            context.Response.StatusCode = 500;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"errors":[{"code":"UNKNOWN","message":"{{Failure}}"}]}""");
            return;
        }
        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path + context.Request.QueryString);
        if (context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0) request.Content = new StreamContent(context.Request.Body);
        foreach (var (name, values) in context.Request.Headers)
            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values)) request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values);
        request.Headers.Host = Address;   // the registry's Location headers then name this address
        using var response = await _registry.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            if (name is not "Transfer-Encoding") context.Response.Headers[name] = values.ToArray();
        await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _registry.Dispose();
    }
}
