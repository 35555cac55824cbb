// dotnet-api: a minimal ASP.NET Core API on 127.0.0.1:$PORT (8083 by default).
var builder = WebApplication.CreateSlimBuilder(args);
var port = Environment.GetEnvironmentVariable("PORT") ?? "8083";
builder.WebHost.UseUrls($"http://127.0.0.1:{port}");

var app = builder.Build();
app.MapGet("/health", () => "ok\n");
app.MapGet("/api/greeting", (string? name) =>
    Results.Text($$"""{"message":"hello, {{name ?? "world"}} from dotnet-api","at":"{{DateTime.UtcNow:O}}"}""", "application/json"));
app.Run();
